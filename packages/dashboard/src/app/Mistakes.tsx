// "Most common mistakes": the failing checks most learners share, with the fix to show the room.
// Choosing one filters the grid to the learners failing it (choosing it again clears that).
import type { DashboardClassResult } from '../state.js';

/** How many learner ids a mistake lists before "and N more". */
const NAMES_SHOWN = 6;

export function Mistakes({ result, activeCheck, onPick }: { result: DashboardClassResult | undefined; activeCheck: string | undefined; onPick: (check: string | undefined) => void }) {
  const mistakes = result?.mistakes ?? [];
  const names = new Map((result?.learners ?? []).map((l) => [l.learner, l.displayName]));
  return (
    <aside className="mistakes" aria-labelledby="mistakes-title">
      <h2 id="mistakes-title">Most common mistakes</h2>
      {mistakes.length === 0 ? (
        <p className="empty">{result ? 'No failing check right now.' : 'None yet: waiting for the first round.'}</p>
      ) : (
        <ol>
          {mistakes.map((m) => {
            const active = activeCheck === m.checkId;
            const shown = m.learners.slice(0, NAMES_SHOWN).map((id) => names.get(id) ?? id);
            const more = m.learners.length - shown.length;
            return (
              <li key={m.checkId} className={active ? 'mistake active' : 'mistake'}>
                <button type="button" className="mistake-pick" aria-pressed={active} onClick={() => onPick(active ? undefined : m.checkId)}>
                  <span className="mistake-count">
                    {m.count}
                    <span className="visually-hidden"> learners:</span>
                  </span>
                  <span className="mistake-title">{m.title}</span>
                  <span className="mistake-id">
                    Lab {m.lab} · <code>{m.checkId}</code>
                  </span>
                  <span className="mistake-action">{active ? 'Showing these learners · show all' : 'Show these learners'}</span>
                </button>
                <p className="mistake-who">
                  {shown.join(', ')}
                  {more > 0 ? ` and ${more} more` : ''}
                </p>
                <details className="mistake-fix">
                  <summary>Fix</summary>
                  <pre>
                    <code>{m.fix}</code>
                  </pre>
                </details>
              </li>
            );
          })}
        </ol>
      )}
    </aside>
  );
}
