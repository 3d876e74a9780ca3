// The pieces every blade uses: its header (breadcrumb, title, subtitle), the error bar that shows
// ARM's refusal as ARM wrote it, and a resource's left-hand menu. The lists are in list.tsx.
import { Breadcrumb, BreadcrumbButton, BreadcrumbDivider, BreadcrumbItem, Button, makeStyles, MessageBar, MessageBarBody, MessageBarTitle, Spinner, tokens } from '@fluentui/react-components';
import { Fragment, type ReactNode } from 'react';
import { ApiError } from './api.js';

const useStyles = makeStyles({
  header: { padding: '12px 24px 8px', borderBottom: `1px solid ${tokens.colorNeutralStroke2}` },
  title: { margin: '4px 0 0', fontSize: tokens.fontSizeBase600, fontWeight: tokens.fontWeightSemibold },
  subtitle: { margin: '2px 0 0', color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
  body: { padding: '12px 24px 24px', display: 'flex', flexDirection: 'column', gap: '12px' },
  withMenu: { display: 'flex', minHeight: '100%' },
  menu: { width: '200px', flexShrink: 0, borderRight: `1px solid ${tokens.colorNeutralStroke2}`, padding: '8px 0', display: 'flex', flexDirection: 'column' },
  menuGroup: { padding: '10px 16px 2px', fontSize: tokens.fontSizeBase200, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3 },
  menuItem: { justifyContent: 'flex-start', borderRadius: 0, paddingLeft: '16px', fontWeight: tokens.fontWeightRegular },
  menuItemCurrent: { justifyContent: 'flex-start', borderRadius: 0, paddingLeft: '12px', borderLeft: `4px solid ${tokens.colorBrandStroke1}`, backgroundColor: tokens.colorNeutralBackground1Selected },
  content: { flexGrow: 1, minWidth: 0 },
});

export interface Crumb {
  label: string;
  go?: () => void;
}

/** A blade: breadcrumb, title (the page's h1) and its content. */
export function Blade({ crumbs, title, subtitle, children }: { crumbs: Crumb[]; title: string; subtitle?: string; children: ReactNode }) {
  const styles = useStyles();
  return (
    <section aria-labelledby="blade-title">
      <div className={styles.header}>
        <Breadcrumb aria-label="Breadcrumb" size="small">
          {crumbs.map((crumb, i) => (
            <Fragment key={`${crumb.label}-${i}`}>
              <BreadcrumbItem>
                <BreadcrumbButton onClick={crumb.go} current={!crumb.go}>
                  {crumb.label}
                </BreadcrumbButton>
              </BreadcrumbItem>
              {i < crumbs.length - 1 && <BreadcrumbDivider />}
            </Fragment>
          ))}
        </Breadcrumb>
        <h1 id="blade-title" className={styles.title} tabIndex={-1}>
          {title}
        </h1>
        {subtitle && <p className={styles.subtitle}>{subtitle}</p>}
      </div>
      <div className={styles.body}>{children}</div>
    </section>
  );
}

/** ARM's error, as ARM wrote it (code as the title, message as the body). */
export function ErrorBar({ error }: { error: unknown }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <MessageBar intent="error" layout="multiline" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{code}</MessageBarTitle>
        {message}
      </MessageBarBody>
    </MessageBar>
  );
}

export function SuccessBar({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <MessageBar intent="success" layout="multiline" role="status">
      <MessageBarBody>
        <MessageBarTitle>{title}</MessageBarTitle>
        {children}
      </MessageBarBody>
    </MessageBar>
  );
}

export function Loading({ label }: { label: string }) {
  return <Spinner size="small" label={label} labelPosition="after" />;
}

export interface MenuEntry {
  label: string;
  group?: string;
}

/** A resource's left-hand menu (Overview, Access control (IAM), Security > Identity, …) and the chosen page. */
export function ResourceMenu({ label, entries, current, onSelect, children }: { label: string; entries: MenuEntry[]; current: string; onSelect: (label: string) => void; children: ReactNode }) {
  const styles = useStyles();
  let group: string | undefined;
  return (
    <div className={styles.withMenu}>
      <nav aria-label={label} className={styles.menu}>
        {entries.map((entry) => {
          const heading = entry.group !== group ? entry.group : undefined;
          group = entry.group;
          return (
            <Fragment key={entry.label}>
              {heading && (
                <div className={styles.menuGroup} role="presentation">
                  {heading}
                </div>
              )}
              <Button appearance="subtle" className={entry.label === current ? styles.menuItemCurrent : styles.menuItem} aria-current={entry.label === current ? 'page' : undefined} onClick={() => onSelect(entry.label)}>
                {entry.label}
              </Button>
            </Fragment>
          );
        })}
      </nav>
      <div className={styles.content}>{children}</div>
    </div>
  );
}
