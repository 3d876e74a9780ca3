// The filters above the grid: stuck for more than N minutes, failing a given check, and a search
// over learner ids and names. Each change goes straight to the URL hash (App's useHashFilters).
import { useId } from 'react';
import type { DashboardState } from '../state.js';
import type { Filters, SortOrder } from './model.js';

export function FiltersBar({ state, filters, onChange, shown, total }: { state: DashboardState; filters: Filters; onChange: (change: Partial<Filters>) => void; shown: number; total: number }) {
  const id = useId();
  const labs = state.result?.labs ?? [];
  const active = filters.stuck !== undefined || Boolean(filters.check) || Boolean(filters.q);
  // A check filter from a bookmark that this class does not have still shows, so it can be cleared.
  const known = labs.some((lab) => lab.checks.some((c) => c.id === filters.check));
  return (
    <form className="filters" role="search" aria-label="Filter learners" onSubmit={(event) => event.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-stuck`}>Stuck for more than</label>
        <span className="with-unit">
          <input
            id={`${id}-stuck`}
            name="stuck"
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            placeholder="off"
            value={filters.stuck ?? ''}
            aria-describedby={`${id}-stuck-help`}
            onChange={(event) => {
              const text = event.target.value.trim();
              const minutes = Number(text);
              onChange({ stuck: text === '' || !Number.isFinite(minutes) || minutes < 0 ? undefined : minutes });
            }}
          />
          <span aria-hidden="true">min</span>
        </span>
        <span id={`${id}-stuck-help`} className="visually-hidden">
          minutes: learners with a lab to fix or not started who changed nothing for longer
        </span>
      </div>
      <div className="field field-check">
        <label htmlFor={`${id}-check`}>Failing check</label>
        <select id={`${id}-check`} name="check" value={filters.check ?? ''} onChange={(event) => onChange({ check: event.target.value || undefined })}>
          <option value="">Any check</option>
          {labs.map((lab) => (
            <optgroup key={lab.id} label={`Lab ${lab.id}: ${lab.title}`}>
              {lab.checks
                .filter((c) => c.role !== 'prerequisite')
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.id} — {c.title}
                  </option>
                ))}
            </optgroup>
          ))}
          {filters.check && !known ? <option value={filters.check}>{filters.check} (not in this class)</option> : null}
        </select>
      </div>
      <div className="field field-search">
        <label htmlFor={`${id}-q`}>Search</label>
        <input id={`${id}-q`} name="q" type="search" placeholder="name or learner id" autoComplete="off" spellCheck={false} value={filters.q ?? ''} onChange={(event) => onChange({ q: event.target.value || undefined })} />
      </div>
      <div className="field field-order">
        <label htmlFor={`${id}-sort`}>Order</label>
        <select id={`${id}-sort`} name="sort" value={filters.sort ?? ''} onChange={(event) => onChange({ sort: (event.target.value || undefined) as SortOrder | undefined })}>
          <option value="">Roster</option>
          <option value="stuck">Longest without a change</option>
          <option value="score">Lowest score</option>
        </select>
      </div>
      <div className="filter-summary">
        <p aria-live="polite" className="count">
          {!state.result ? '' : active ? `Showing ${shown} of ${total} learners` : `${total} learners`}
        </p>
        {active ? (
          <button type="button" className="link-button" onClick={() => onChange({ stuck: undefined, check: undefined, q: undefined })}>
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}
