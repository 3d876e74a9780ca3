// The learner × lab grid: one row per learner, one column per lab, the header row and the learner
// column sticky so 200 learners stay readable. Each mark is a symbol, a colour and (for screen
// readers) a sentence, so colour is never the only signal. Keyboard: the grid is one Tab stop
// (roving tabindex); the arrow keys, Home/End and PageUp/PageDown move between cells; Enter or
// Space on a learner or a cell opens that learner's detail.
import { memo, useCallback, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent, type MouseEvent } from 'react';
import type { DashboardClassResult, DashboardLearner, DashboardState } from '../state.js';
import { cellLabel, MARKS, timeAgo } from './model.js';

type OpenLearner = (learner: string, lab: string | undefined, from: HTMLElement) => void;

interface RowProps {
  readonly learner: DashboardLearner;
  readonly labIds: readonly string[];
  readonly row: number;
  /** The column that holds the grid's Tab stop in this row, or -1. */
  readonly activeCol: number;
  readonly ago: string;
  readonly lastChangedAt: string | null | undefined;
  /** The lab of the "failing check" filter, whose column is marked. */
  readonly filterLab: string | undefined;
  readonly onOpen: OpenLearner;
}

const Row = memo(function Row({ learner, labIds, row, activeCol, ago, lastChangedAt, filterLab, onOpen }: RowProps) {
  const byLab = new Map(learner.labs.map((lab) => [lab.lab, lab]));
  const openFromRow = (event: MouseEvent<HTMLTableRowElement>) => {
    // A click on a button opens through the button; anywhere else on the row opens it too.
    if ((event.target as HTMLElement).closest('button')) return;
    const first = event.currentTarget.querySelector<HTMLElement>('[data-col="0"]');
    if (first) onOpen(learner.learner, undefined, first);
  };
  return (
    <tr onClick={openFromRow}>
      <th scope="row" className="learner-cell">
        <button
          type="button"
          className="learner"
          data-cell=""
          data-row={row}
          data-col={0}
          tabIndex={activeCol === 0 ? 0 : -1}
          aria-label={`${learner.displayName} (${learner.learner}), ${learner.score.percent}%: open the detail`}
          onClick={(event) => onOpen(learner.learner, undefined, event.currentTarget)}
        >
          <span className="name">{learner.displayName}</span>
          <span className="id">{learner.learner}</span>
        </button>
      </th>
      <td className="score">
        <span className="score-number">{learner.score.percent}%</span>
        <span className="bar" aria-hidden="true">
          <span className="bar-fill" style={{ width: `${learner.score.percent}%` }} />
        </span>
      </td>
      {labIds.map((labId, index) => {
        const lab = byLab.get(labId);
        const mark = lab?.mark;
        return (
          <td key={labId} className={labId === filterLab ? 'mark-cell col-filter' : 'mark-cell'}>
            <button
              type="button"
              className={`cell ${mark ? `m-${mark}` : 'm-none'}`}
              data-cell=""
              data-row={row}
              data-col={index + 1}
              data-mark={mark ?? 'none'}
              tabIndex={activeCol === index + 1 ? 0 : -1}
              aria-label={cellLabel(learner, lab, labId)}
              onClick={(event) => onOpen(learner.learner, labId, event.currentTarget)}
            >
              <span className="symbol" aria-hidden="true">
                {mark ? MARKS[mark] : '—'}
              </span>
              {mark === 'fail' ? (
                <span className="pct" aria-hidden="true">
                  {lab?.score.percent}%
                </span>
              ) : null}
            </button>
          </td>
        );
      })}
      <td className="ago">
        <time dateTime={lastChangedAt ?? undefined} title={lastChangedAt ?? 'no change seen since watching started'}>
          {ago}
        </time>
      </td>
    </tr>
  );
});

export function Grid({
  result,
  learners,
  activity,
  now,
  onOpen,
  filtered,
  filterCheck,
}: {
  result: DashboardClassResult;
  learners: readonly DashboardLearner[];
  activity: DashboardState['activity'];
  now: number;
  onOpen: OpenLearner;
  filtered: boolean;
  filterCheck: string | undefined;
}) {
  const filterLab = filterCheck ? result.labs.find((lab) => lab.checks.some((c) => c.id === filterCheck))?.id : undefined;
  const table = useRef<HTMLTableElement>(null);
  // The Tab stop: by learner id, so it stays on the same learner when filters change the rows.
  const [active, setActive] = useState<{ learner: string; col: number } | undefined>();
  const labIds = useMemo(() => result.labs.map((lab) => lab.id), [result]);
  // How many of the whole class (not only the filtered rows) passed each lab.
  const passed = useMemo(() => {
    const counts = new Map<string, number>();
    for (const learner of result.learners) for (const lab of learner.labs) if (lab.mark === 'pass') counts.set(lab.lab, (counts.get(lab.lab) ?? 0) + 1);
    return counts;
  }, [result]);
  const lastChanged = new Map(activity.map((a) => [a.learner, a.lastChangedAt]));
  const columns = labIds.length + 1;
  const activeRow = Math.max(
    0,
    learners.findIndex((l) => l.learner === active?.learner),
  );
  const activeCol = active && learners[activeRow]?.learner === active.learner ? Math.min(active.col, columns - 1) : 0;

  const onFocus = useCallback(
    (event: FocusEvent<HTMLTableElement>) => {
      const cell = (event.target as HTMLElement).closest<HTMLElement>('[data-cell]');
      if (!cell) return;
      const row = Number(cell.dataset.row);
      const col = Number(cell.dataset.col);
      const learner = learners[row]?.learner;
      if (learner && (active?.learner !== learner || active.col !== col)) setActive({ learner, col });
    },
    [learners, active],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLTableElement>) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('[data-cell]');
    if (!cell) return;
    let row = Number(cell.dataset.row);
    let col = Number(cell.dataset.col);
    switch (event.key) {
      case 'ArrowDown':
        row += 1;
        break;
      case 'ArrowUp':
        row -= 1;
        break;
      case 'ArrowRight':
        col += 1;
        break;
      case 'ArrowLeft':
        col -= 1;
        break;
      case 'PageDown':
        row += 10;
        break;
      case 'PageUp':
        row -= 10;
        break;
      case 'Home':
        if (event.ctrlKey) row = 0;
        col = 0;
        break;
      case 'End':
        if (event.ctrlKey) row = learners.length - 1;
        col = columns - 1;
        break;
      default:
        return;
    }
    event.preventDefault();
    row = Math.max(0, Math.min(learners.length - 1, row));
    col = Math.max(0, Math.min(columns - 1, col));
    table.current?.querySelector<HTMLElement>(`[data-row="${row}"][data-col="${col}"]`)?.focus();
  };

  return (
    <div className="grid-scroll" id="grid" tabIndex={-1} aria-labelledby="grid-caption">
      <table className="grid" ref={table} role="grid" aria-readonly="true" aria-rowcount={learners.length + 1} onFocus={onFocus} onKeyDown={onKeyDown}>
        <caption id="grid-caption" className="visually-hidden">
          {filtered ? `Learners matching the filters (${learners.length})` : `All learners (${learners.length})`} by lab. Arrow keys move between cells; Enter opens a
          learner&apos;s detail.
        </caption>
        <thead>
          <tr>
            <th scope="col" className="learner-head">
              Learner
            </th>
            <th scope="col" className="score-head">
              Score
            </th>
            {result.labs.map((lab) => (
              <th scope="col" key={lab.id} className={lab.id === filterLab ? 'lab-head col-filter' : 'lab-head'} title={lab.title}>
                <span className="lab-id">Lab {lab.id}</span>
                <span className="lab-title">{lab.title}</span>
                <span className="lab-passed">
                  {passed.get(lab.id) ?? 0}/{result.learners.length} <span aria-hidden="true">{MARKS.pass}</span>
                  <span className="visually-hidden"> passed</span>
                </span>
              </th>
            ))}
            <th scope="col" className="ago-head">
              Last change
            </th>
          </tr>
        </thead>
        <tbody>
          {learners.length === 0 ? (
            <tr>
              <td className="no-match" colSpan={columns + 2}>
                No learner matches these filters.
              </td>
            </tr>
          ) : (
            learners.map((learner, row) => {
              const at = lastChanged.get(learner.learner);
              return (
                <Row
                  key={learner.learner}
                  learner={learner}
                  labIds={labIds}
                  row={row}
                  activeCol={row === activeRow ? activeCol : -1}
                  ago={timeAgo(at, now)}
                  lastChangedAt={at}
                  filterLab={filterLab}
                  onOpen={onOpen}
                />
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
