// The instructor's page: the state arrives over server-sent events (/api/events: the whole state
// on connect and after every grading round), never by reloading; the clock ticks here, so "3 min
// ago" and "next in 12 s" move between pushes. The filters and the open learner live in the URL
// hash, so a reload (or a bookmark) keeps them.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { DashboardState } from '../state.js';
import { Detail } from './Detail.js';
import { FiltersBar } from './FiltersBar.js';
import { Grid } from './Grid.js';
import { Header, type Connection } from './Header.js';
import { Mistakes } from './Mistakes.js';
import { filterLearners, formatHash, MARKS, MARK_WORDS, parseHash, type Filters } from './model.js';

declare global {
  interface Window {
    /** For the browser tests: how many states this page has received (a reload would start again at 0). */
    __milabDashboard?: { states: number };
  }
}

/** The latest state from the server, and whether the stream is connected. */
function useLiveState(): { state: DashboardState | undefined; connection: Connection } {
  const [state, setState] = useState<DashboardState | undefined>();
  const [connection, setConnection] = useState<Connection>('connecting');
  useEffect(() => {
    // EventSource reconnects by itself after a drop (the server's `retry` says when).
    const events = new EventSource('/api/events');
    events.onopen = () => setConnection('live');
    events.onerror = () => setConnection(events.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    events.addEventListener('state', (event) => {
      try {
        const next = JSON.parse((event as MessageEvent<string>).data) as DashboardState;
        window.__milabDashboard = { states: (window.__milabDashboard?.states ?? 0) + 1 };
        setState(next);
        setConnection('live');
      } catch {
        // A broken message: keep showing the last good state; the next round sends a whole new one.
      }
    });
    return () => events.close();
  }, []);
  return { state, connection };
}

/** Now, in ms, ticking every second. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The filters, read from and written to the URL hash (replaceState: filtering is not navigation). */
function useHashFilters(): [Filters, (change: Partial<Filters>) => void] {
  const [filters, setFilters] = useState<Filters>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onHash = () => setFilters(parseHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const update = useCallback((change: Partial<Filters>) => {
    setFilters((current) => {
      const next: Filters = { ...current, ...change };
      const hash = formatHash(next);
      history.replaceState(null, '', hash || `${window.location.pathname}${window.location.search}`);
      return parseHash(hash);
    });
  }, []);
  return [filters, update];
}

export function App() {
  const { state, connection } = useLiveState();
  const now = useNow();
  const [filters, setFilters] = useHashFilters();
  // Where focus goes back to when the detail closes: the cell or name that opened it.
  const opener = useRef<HTMLElement | null>(null);
  const [focusLab, setFocusLab] = useState<string | undefined>();

  const learners = useMemo(() => (state ? filterLearners(state, filters, now) : []), [state, filters, now]);
  const selected = state?.result?.learners.find((l) => l.learner === filters.learner);

  const openLearner = useCallback(
    (learner: string, lab: string | undefined, from: HTMLElement) => {
      opener.current = from;
      setFocusLab(lab);
      setFilters({ learner });
    },
    [setFilters],
  );
  const closeDetail = useCallback(() => {
    setFilters({ learner: undefined });
    const back = opener.current;
    opener.current = null;
    // After React has removed the dialog; the opener may have been re-rendered, so find it again.
    requestAnimationFrame(() => {
      if (back?.isConnected) back.focus();
      else document.querySelector<HTMLElement>('[data-cell][tabindex="0"]')?.focus();
    });
  }, [setFilters]);

  if (!state) {
    return (
      <div className="boot" role="status">
        Connecting to the class…
      </div>
    );
  }
  const total = state.result?.learners.length ?? 0;
  return (
    <>
      <a className="skip-link" href="#grid">
        Skip to the learners
      </a>
      <Header state={state} connection={connection} now={now} />
      <main className="layout">
        <section className="board" aria-labelledby="board-title">
          <h2 id="board-title" className="visually-hidden">
            Learners and labs
          </h2>
          <FiltersBar state={state} filters={filters} onChange={setFilters} shown={learners.length} total={total} />
          {state.result ? (
            <Grid result={state.result} learners={learners} activity={state.activity} now={now} onOpen={openLearner} filtered={learners.length !== total} filterCheck={filters.check} />
          ) : (
            <p className="empty" id="grid" tabIndex={-1}>
              {state.status === 'error' ? 'The first round could not grade: see the message above.' : 'Waiting for the first grading round to finish…'}
            </p>
          )}
        </section>
        <Mistakes result={state.result} activeCheck={filters.check} onPick={(check) => setFilters({ check })} />
      </main>
      <footer className="footer">
        <ul className="legend" aria-label="Legend">
          {(Object.keys(MARKS) as (keyof typeof MARKS)[]).map((mark) => (
            <li key={mark}>
              <span className={`mark m-${mark}`} aria-hidden="true">
                {MARKS[mark]}
              </span>{' '}
              {MARK_WORDS[mark]}
            </li>
          ))}
        </ul>
        <p className="budget">
          <strong>Read budget:</strong> {state.budget.text}
        </p>
      </footer>
      {selected && state.result ? (
        <Detail
          learner={selected}
          result={state.result}
          lastChangedAt={state.activity.find((a) => a.learner === selected.learner)?.lastChangedAt ?? null}
          now={now}
          focusLab={focusLab}
          onClose={closeDetail}
        />
      ) : null}
    </>
  );
}
