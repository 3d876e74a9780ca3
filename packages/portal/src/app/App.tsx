// The portal's frame: the top bar (search, who is signed in), the portal menu, and the blade the
// view names. Until someone is signed in, the sign-in picker.
import { Button, Field, makeStyles, Radio, RadioGroup, SearchBox, tokens } from '@fluentui/react-components';
import { useEffect, useRef, useState } from 'react';
import { listPrincipals, portalKey, rememberedPrincipal, rememberPrincipal, signIn, type Principal, type Session } from './api.js';
import { CreateIdentity, IdentitiesList, IdentityOverview } from './Identities.js';
import { AddRoleAssignment, ResourceGroupBlade, ResourceGroupsList, SubscriptionBlade, SubscriptionsList } from './Access.js';
import { VmBlade, VmsList } from './Vms.js';
import { CreateKeyVault, CreateSecret, KeyVaultBlade, KeyVaultsList } from './KeyVaults.js';
import { ContainerGroupBlade, ContainerGroupsList, CreateContainerGroup } from './ContainerGroups.js';
import { SERVICES, type View } from './nav.js';
import { ErrorBar, Loading } from './ui.js';

const useStyles = makeStyles({
  frame: { display: 'flex', flexDirection: 'column', height: '100%', backgroundColor: tokens.colorNeutralBackground1 },
  top: { display: 'flex', alignItems: 'center', gap: '16px', padding: '0 16px', height: '44px', backgroundColor: '#0f1b2d', color: '#ffffff', flexShrink: 0 },
  brand: { fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, whiteSpace: 'nowrap', color: '#ffffff', background: 'none', border: 'none', cursor: 'pointer', padding: '4px' },
  brandNote: { fontWeight: tokens.fontWeightRegular, opacity: 0.8, marginLeft: '6px' },
  search: { position: 'relative', flexGrow: 1, maxWidth: '560px' },
  searchBox: { width: '100%', maxWidth: 'none' },
  results: { position: 'absolute', top: '36px', left: 0, right: 0, zIndex: 10, backgroundColor: tokens.colorNeutralBackground1, color: tokens.colorNeutralForeground1, boxShadow: tokens.shadow16, borderRadius: tokens.borderRadiusMedium, padding: '8px 0', display: 'flex', flexDirection: 'column' },
  resultsHeading: { padding: '2px 16px 6px', fontSize: tokens.fontSizeBase200, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3, margin: 0 },
  result: { justifyContent: 'flex-start', borderRadius: 0, paddingLeft: '16px' },
  who: { marginLeft: 'auto', display: 'flex', alignItems: 'center', gap: '8px', fontSize: tokens.fontSizeBase200, whiteSpace: 'nowrap' },
  signOut: { color: '#ffffff' },
  main: { display: 'flex', flexGrow: 1, minHeight: 0 },
  menu: { width: '190px', flexShrink: 0, borderRight: `1px solid ${tokens.colorNeutralStroke2}`, padding: '8px 0', display: 'flex', flexDirection: 'column', backgroundColor: tokens.colorNeutralBackground2 },
  menuItem: { justifyContent: 'flex-start', borderRadius: 0, paddingLeft: '16px', fontWeight: tokens.fontWeightRegular },
  content: { flexGrow: 1, overflow: 'auto', minWidth: 0 },
  signIn: { maxWidth: '560px', margin: '48px auto', padding: '32px', boxShadow: tokens.shadow8, borderRadius: tokens.borderRadiusLarge, display: 'flex', flexDirection: 'column', gap: '16px' },
  h1: { margin: 0, fontSize: tokens.fontSizeBase600, fontWeight: tokens.fontWeightSemibold },
  p: { margin: 0, color: tokens.colorNeutralForeground2 },
  home: { padding: '24px', display: 'flex', flexDirection: 'column', gap: '16px' },
  tiles: { display: 'flex', gap: '12px', flexWrap: 'wrap' },
  tile: { width: '160px', height: '72px' },
});

/** The top bar's search: services by name ("Managed Identities"); Enter opens the first match. */
function Search({ go, view }: { go: (view: View) => void; view: View }) {
  const styles = useStyles();
  const [text, setText] = useState('');
  // Another blade opened (from the menu, a link): the search is done with.
  useEffect(() => setText(''), [view]);
  const matches = text.trim() === '' ? [] : SERVICES.filter((s) => `${s.label.toLowerCase()} ${s.keywords}`.includes(text.trim().toLowerCase()));
  const open = (view: View) => {
    setText('');
    go(view);
  };
  return (
    <div
      className={styles.search}
      role="search"
      onBlur={(event) => {
        // Focus left the search and its results (a click on a result keeps it inside until it runs).
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setText('');
      }}
    >
      <SearchBox
        className={styles.searchBox}
        size="small"
        placeholder="Search resources, services, and docs"
        aria-label="Search resources, services, and docs"
        value={text}
        onChange={(_, data) => setText(data.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && matches[0]) open(matches[0].view);
          if (event.key === 'Escape') setText('');
        }}
      />
      {matches.length > 0 && (
        <div className={styles.results} role="region" aria-label="Search results">
          <h2 className={styles.resultsHeading}>Services</h2>
          {matches.map((s) => (
            <Button key={s.label} appearance="subtle" className={styles.result} onClick={() => open(s.view)}>
              {s.label}
            </Button>
          ))}
        </div>
      )}
    </div>
  );
}

function SignIn({ portal, onSignedIn }: { portal: string | undefined; onSignedIn: (session: Session) => void }) {
  const styles = useStyles();
  const [principals, setPrincipals] = useState<Principal[]>();
  const [chosen, setChosen] = useState<string>('learner');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!portal) return;
    listPrincipals(portal).then(
      (answer) => setPrincipals(answer.principals),
      (e: unknown) => setError(e),
    );
  }, [portal]);
  const submit = () => {
    if (!portal) return;
    setBusy(true);
    setError(undefined);
    signIn(portal, chosen).then(
      (session) => {
        rememberPrincipal(chosen);
        onSignedIn(session);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <main className={styles.signIn} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" className={styles.h1}>
        Sign in to the milab emulator
      </h1>
      {!portal ? (
        <p className={styles.p}>
          This page has no portal key. Open the portal with <code>./milab portal</code>: it prints (and with <code>--open</code> opens) the address of the running emulator's portal, key included.
        </p>
      ) : (
        <>
          <p className={styles.p}>Pick who you are: the portal signs you in as that principal (no password on the emulator), and everything you do here is checked by the emulator's access control, as in Azure.</p>
          <ErrorBar error={error} />
          {!principals && !error && <Loading label="Loading who can sign in…" />}
          {principals && (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                submit();
              }}
            >
              <Field label="Sign in as">
                <RadioGroup value={chosen} onChange={(_, data) => setChosen(data.value)}>
                  {principals.map((p) => (
                    <Radio key={p.id} value={p.id} label={p.kind === 'class' ? `${p.displayName} (class learner)` : `${p.displayName} (${p.id})`} />
                  ))}
                </RadioGroup>
              </Field>
              <Button appearance="primary" type="submit" disabled={busy} style={{ marginTop: '16px' }}>
                {busy ? 'Signing in…' : 'Sign in'}
              </Button>
            </form>
          )}
        </>
      )}
    </main>
  );
}

function Home({ go }: { go: (view: View) => void }) {
  const styles = useStyles();
  return (
    <section className={styles.home} aria-labelledby="home-title">
      <h1 id="home-title" className={styles.h1} tabIndex={-1}>
        Azure services
      </h1>
      <div className={styles.tiles}>
        {SERVICES.map((s) => (
          <Button key={s.label} className={styles.tile} onClick={() => go(s.view)}>
            {s.label}
          </Button>
        ))}
      </div>
    </section>
  );
}

function Blade({ view, session, go }: { view: View; session: Session; go: (view: View) => void }) {
  switch (view.kind) {
    case 'home':
      return <Home go={go} />;
    case 'identities':
      return <IdentitiesList session={session} go={go} notice={view.notice} />;
    case 'createIdentity':
      return <CreateIdentity session={session} go={go} />;
    case 'identity':
      return <IdentityOverview session={session} go={go} id={view.id} notice={view.notice} />;
    case 'subscriptions':
      return <SubscriptionsList session={session} go={go} />;
    case 'subscription':
      return <SubscriptionBlade session={session} go={go} id={view.id} page={view.page} />;
    case 'resourceGroups':
      return <ResourceGroupsList session={session} go={go} />;
    case 'resourceGroup':
      return <ResourceGroupBlade session={session} go={go} id={view.id} page={view.page} />;
    case 'addRoleAssignment':
      return <AddRoleAssignment session={session} go={go} scope={view.scope} scopeLabel={view.scopeLabel} back={view.back} />;
    case 'vms':
      return <VmsList session={session} go={go} />;
    case 'vm':
      return <VmBlade session={session} go={go} id={view.id} page={view.page} />;
    case 'keyVaults':
      return <KeyVaultsList session={session} go={go} />;
    case 'createKeyVault':
      return <CreateKeyVault session={session} go={go} />;
    case 'keyVault':
      return <KeyVaultBlade session={session} go={go} id={view.id} page={view.page} notice={view.notice} />;
    case 'createSecret':
      return <CreateSecret session={session} go={go} vaultId={view.vaultId} />;
    case 'containerGroups':
      return <ContainerGroupsList session={session} go={go} />;
    case 'createContainerGroup':
      return <CreateContainerGroup session={session} go={go} />;
    case 'containerGroup':
      return <ContainerGroupBlade session={session} go={go} id={view.id} page={view.page} />;
  }
}

export function App() {
  const styles = useStyles();
  const [portal] = useState(() => portalKey());
  const [session, setSession] = useState<Session>();
  const [view, setView] = useState<View>({ kind: 'home' });
  const [resuming, setResuming] = useState(() => Boolean(portal && rememberedPrincipal()));
  const content = useRef<HTMLDivElement>(null);
  // A reload keeps the tab's sign-in: the principal was remembered, the token is asked again.
  useEffect(() => {
    const remembered = rememberedPrincipal();
    if (!portal || !remembered) return;
    signIn(portal, remembered).then(setSession, () => rememberPrincipal(undefined)).finally(() => setResuming(false));
  }, [portal]);
  const go = (next: View) => {
    setView(next);
    // Keyboard and screen-reader users land on the new blade, not on the control they left.
    window.requestAnimationFrame(() => content.current?.querySelector<HTMLElement>('h1')?.focus());
  };
  return (
    <div className={styles.frame}>
      <header className={styles.top}>
        <button type="button" className={styles.brand} onClick={() => session && go({ kind: 'home' })}>
          Microsoft Azure<span className={styles.brandNote}>(milab emulator)</span>
        </button>
        {session && <Search go={go} view={view} />}
        {session && (
          <div className={styles.who}>
            <span>
              Signed in as <strong>{session.principal.displayName}</strong>
            </span>
            <Button
              appearance="transparent"
              size="small"
              className={styles.signOut}
              onClick={() => {
                rememberPrincipal(undefined);
                setSession(undefined);
                setView({ kind: 'home' });
              }}
            >
              Sign out
            </Button>
          </div>
        )}
      </header>
      {!session ? (
        resuming ? (
          <Loading label="Signing in…" />
        ) : (
          <SignIn portal={portal} onSignedIn={setSession} />
        )
      ) : (
        <div className={styles.main}>
          <nav aria-label="Portal menu" className={styles.menu}>
            <Button appearance="subtle" className={styles.menuItem} onClick={() => go({ kind: 'home' })}>
              Home
            </Button>
            {SERVICES.map((s) => (
              <Button key={s.label} appearance="subtle" className={styles.menuItem} onClick={() => go(s.view)}>
                {s.label}
              </Button>
            ))}
          </nav>
          <main className={styles.content} ref={content}>
            <Blade key={JSON.stringify(view)} view={view} session={session} go={go} />
          </main>
        </div>
      )}
    </div>
  );
}
