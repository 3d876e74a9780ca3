// The page's header: which class, where and how it is graded, the round and its timing, whether
// the page is connected, and — when the last round could not grade — what happened and what to do.
import type { DashboardState } from '../state.js';
import { clockTime, secondsUntil } from './model.js';

/** The event stream's state, as the indicator shows it. */
export type Connection = 'connecting' | 'live' | 'reconnecting' | 'closed';

const CONNECTION_WORDS: Readonly<Record<Connection, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected: reload the page',
};

const STATUS_WORDS: Readonly<Record<DashboardState['status'], string>> = {
  starting: 'starting',
  grading: 'grading…',
  idle: 'idle',
  error: 'could not grade',
};

function timing(state: DashboardState, now: number): string {
  const graded = clockTime(state.gradedAt);
  const next = secondsUntil(state.nextAt, now);
  const parts: string[] = [];
  if (graded) parts.push(`graded ${graded}`);
  if (state.status === 'grading') parts.push('grading now');
  else if (next !== undefined) parts.push(next > 0 ? `next in ${next}s` : 'next round due');
  return parts.length > 0 ? parts.join(', ') : 'not graded yet';
}

export function Header({ state, connection, now }: { state: DashboardState; connection: Connection; now: number }) {
  return (
    <header className="header">
      <div className="title-row">
        <h1>
          <span className="brand">milab</span> class <span className="class-id">{state.classId}</span>
        </h1>
        <p className={`connection c-${connection}`} role="status" aria-live="polite">
          <span className="dot" aria-hidden="true" />
          {CONNECTION_WORDS[connection]}
        </p>
      </div>
      <dl className="facts">
        <div>
          <dt>Target</dt>
          <dd>{state.target}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>{state.mode}</dd>
        </div>
        <div>
          <dt>Round</dt>
          <dd>{state.round}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd className={`status s-${state.status}`}>{STATUS_WORDS[state.status]}</dd>
        </div>
        <div>
          <dt>Timing</dt>
          <dd className="timing">{timing(state, now)}</dd>
        </div>
      </dl>
      {state.error ? (
        <div className="banner" role="alert">
          <p className="banner-message">
            <strong>The last round could not grade:</strong> {state.error.message}
          </p>
          <p className="banner-hint">
            <strong>Next step:</strong> {state.error.hint}
          </p>
        </div>
      ) : null}
    </header>
  );
}
