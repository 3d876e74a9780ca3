// The one list of the page: every resource list blade (Managed Identities, Key vaults, Container
// instances, Virtual machines, Subscriptions, Resource groups) and the lists inside a resource's
// blade (a vault's Secrets, a scope's Role assignments) are this toolbar and table. The toolbar:
// the list's own command (+ Create, + Generate/Import, + Add) and Refresh, which reads the list
// again. Then what the page has to say (a notice, ARM's refusal as ARM wrote it), "Loading…" while
// the list is read, and the table: the first column opens the row (a button, so Tab and Enter
// reach it), and an empty list says so in its one row.
import { Link, makeStyles, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Toolbar, ToolbarButton } from '@fluentui/react-components';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { Session } from './api.js';
import { Blade, ErrorBar, Loading, SuccessBar, type Crumb } from './ui.js';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: '12px' },
  // Inside a resource's blade, beside its menu.
  inset: { padding: '0 16px' },
});

/** A list as the page holds it: undefined while it is read, or the error that refused it. */
export interface ListState<T> {
  items: T[] | undefined;
  error: unknown;
  /** Reads the list again (from empty: "Loading…" shows until the answer). */
  refresh: () => void;
}

/**
 * A list read with `load` as `session` (the signed-in principal), read again whenever `refresh` is
 * called or the session or `key` (what the list is: its path) change. An answer that comes after
 * a newer read started is dropped, so a slow first read never overwrites what Refresh read.
 */
export function useList<T>(session: Session, key: string, load: (session: Session) => Promise<T[]>): ListState<T> {
  const [items, setItems] = useState<T[]>();
  const [error, setError] = useState<unknown>();
  const [round, setRound] = useState(0);
  // The loader of the latest render: a new function each render, but the same list while `key` is.
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let current = true;
    setItems(undefined);
    setError(undefined);
    loader.current(session).then(
      (read) => current && setItems(read),
      (refused: unknown) => current && setError(refused),
    );
    return () => {
      current = false;
    };
  }, [session, key, round]);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  return { items, error, refresh };
}

/** Every page of the ARM list at `path` (with its api-version), as the signed-in principal. */
export function useArmList<T>(session: Session, path: string): ListState<T> {
  return useList<T>(session, path, (s) => s.list<T>(path));
}

/** A column: its header and what a row shows in it. */
export interface Column<T> {
  header: string;
  cell: (item: T) => ReactNode;
}

export interface ResourceListProps<T extends { id: string }> {
  /** What the list is, for its toolbar's name ("Key vaults" → "Key vaults commands"). */
  name: string;
  /** The table's accessible name ("Key vaults", "Managed identities"). */
  tableLabel: string;
  list: ListState<T>;
  /** The columns; the first is the row's name, a button that opens it when `open` is given. */
  columns: [Column<T>, ...Column<T>[]];
  open?: (item: T) => void;
  /** The list's own primary command (`+ Create`, …): a button that goes to `go`. */
  create?: { label: string; go: () => void };
  /** A primary command that is more than a button (the IAM page's `+ Add` menu), instead of `create`. */
  command?: ReactNode;
  /** What the single row of an empty list says. */
  empty: string;
  /** What the spinner says while the list is read ("Loading key vaults…"). */
  loading: string;
  /** Shown between the toolbar and the bars (the IAM page's tabs). */
  header?: ReactNode;
  /** A success notice (what the last action did). */
  notice?: string;
  /** Bars of the list's own above the error bar (the vault's "not allowed by RBAC" warning). */
  bars?: ReactNode;
  /** Inside a resource's blade (beside its menu): indented as that blade's pages. */
  inset?: boolean;
}

/** The toolbar and table of a list (see the top of this file). */
export function ResourceList<T extends { id: string }>({ name, tableLabel, list, columns, open, create, command, empty, loading, header, notice, bars, inset }: ResourceListProps<T>) {
  const styles = useStyles();
  const { items, error, refresh } = list;
  const [first, ...rest] = columns;
  return (
    <div className={inset ? `${styles.list} ${styles.inset}` : styles.list}>
      <Toolbar aria-label={`${name} commands`}>
        {command ??
          (create && (
            <ToolbarButton appearance="primary" onClick={create.go}>
              {create.label}
            </ToolbarButton>
          ))}
        <ToolbarButton onClick={refresh}>Refresh</ToolbarButton>
      </Toolbar>
      {header}
      {notice && <SuccessBar title={notice} />}
      {bars}
      <ErrorBar error={error} />
      {!items && !error && <Loading label={loading} />}
      {items && (
        <Table aria-label={tableLabel} size="small">
          <TableHeader>
            <TableRow>
              {columns.map((column) => (
                <TableHeaderCell key={column.header}>{column.header}</TableHeaderCell>
              ))}
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.length === 0 && (
              <TableRow>
                <TableCell colSpan={columns.length}>{empty}</TableCell>
              </TableRow>
            )}
            {items.map((item) => (
              <TableRow key={item.id}>
                <TableCell>{open ? <Link onClick={() => open(item)}>{first.cell(item)}</Link> : first.cell(item)}</TableCell>
                {rest.map((column) => (
                  <TableCell key={column.header}>{column.cell(item)}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}

export interface ResourceListBladeProps<T extends { id: string }> extends Omit<ResourceListProps<T>, 'list' | 'name' | 'inset'> {
  session: Session;
  /** The ARM list (with its api-version): every page of it is read as the signed-in principal. */
  path: string;
  crumbs: Crumb[];
  /** The blade's title (its h1), which names its toolbar too. */
  title: string;
  subtitle?: string;
}

/** A service's list blade: the blade (breadcrumb, title) and the ARM list at `path`. */
export function ResourceListBlade<T extends { id: string }>({ session, path, crumbs, title, subtitle, ...list }: ResourceListBladeProps<T>) {
  const state = useArmList<T>(session, path);
  return (
    <Blade crumbs={crumbs} title={title} subtitle={subtitle}>
      <ResourceList<T> name={title} list={state} {...list} />
    </Blade>
  );
}
