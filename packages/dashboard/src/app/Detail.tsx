// One learner's detail, in a modal side panel (<dialog>: the browser keeps focus inside it and
// makes the page behind inert). Esc or the Close button closes it, and focus returns to the cell
// that opened it (App). Each lab shows what to do next: every failing check's found / expected /
// fix, why a check was skipped, and what could not be graded with its next step.
import { useEffect, useRef } from 'react';
import type { DashboardCheckResult, DashboardClassResult, DashboardLearner, DashboardLearnerLab } from '../state.js';
import { MARKS, MARK_WORDS, timeAgo } from './model.js';

function FailedCheck({ result }: { result: DashboardCheckResult }) {
  return (
    <li className="check check-fail">
      <h4>
        <span className="mark m-fail" aria-hidden="true">
          {MARKS.fail}
        </span>{' '}
        <span className="visually-hidden">Failed: </span>
        {result.title} <code className="check-id">{result.id}</code>
      </h4>
      <dl className="found-expected">
        <div>
          <dt>Found</dt>
          <dd>{result.found ?? '—'}</dd>
        </div>
        <div>
          <dt>Expected</dt>
          <dd>{result.expected ?? '—'}</dd>
        </div>
      </dl>
      {result.fix ? (
        <div className="fix">
          <p className="fix-label">Fix</p>
          <pre>
            <code>{result.fix}</code>
          </pre>
        </div>
      ) : null}
    </li>
  );
}

function ErrorCheck({ result }: { result: DashboardCheckResult }) {
  return (
    <li className="check check-error">
      <h4>
        <span className="mark m-error" aria-hidden="true">
          {MARKS.error}
        </span>{' '}
        <span className="visually-hidden">Could not check: </span>
        {result.title} <code className="check-id">{result.id}</code>
      </h4>
      <p>{result.message}</p>
      {result.hint ? (
        <p className="hint">
          <strong>Next step:</strong> {result.hint}
        </p>
      ) : null}
    </li>
  );
}

function Lab({ title, id, lab }: { title: string; id: string; lab: DashboardLearnerLab | undefined }) {
  const results = lab?.results ?? [];
  const failed = results.filter((r) => r.status === 'fail');
  const errors = results.filter((r) => r.status === 'error');
  const skipped = results.filter((r) => r.status === 'skip');
  const passed = results.filter((r) => r.status === 'pass');
  const mark = lab?.mark;
  return (
    <section className={`detail-lab ${mark ? `l-${mark}` : ''}`} id={`detail-lab-${id}`} aria-labelledby={`detail-lab-${id}-title`} tabIndex={-1}>
      <h3 id={`detail-lab-${id}-title`}>
        <span className={`mark ${mark ? `m-${mark}` : ''}`} aria-hidden="true">
          {mark ? MARKS[mark] : '—'}
        </span>
        <span className="lab-name">
          Lab {id}: {title}
        </span>
        <span className="lab-verdict">
          {mark ? MARK_WORDS[mark] : 'not graded'}
          {lab && (mark === 'pass' || mark === 'fail') ? ` · ${lab.score.percent}%` : ''}
          {lab?.source === 'self-run' ? ' · self-run' : ''}
        </span>
      </h3>
      {lab?.error ? (
        <div className="problem">
          <p>{lab.error.message}</p>
          <p className="hint">
            <strong>Next step:</strong> {lab.error.hint}
          </p>
        </div>
      ) : null}
      {lab?.flags && lab.flags.length > 0 ? (
        <div className="problem flagged">
          <p>
            <span aria-hidden="true">{MARKS.flagged}</span> Flagged, not counted until you have looked at it:
          </p>
          <ul>
            {lab.flags.map((flag) => (
              <li key={flag}>{flag}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {failed.length + errors.length > 0 ? (
        <ul className="checks">
          {failed.map((r) => (
            <FailedCheck key={r.id} result={r} />
          ))}
          {errors.map((r) => (
            <ErrorCheck key={r.id} result={r} />
          ))}
        </ul>
      ) : null}
      {skipped.length > 0 ? (
        <div className="skips">
          <p className="sub">Skipped</p>
          <ul>
            {skipped.map((r) => (
              <li key={r.id}>
                <span className="mark m-waiting" aria-hidden="true">
                  {MARKS.waiting}
                </span>{' '}
                {r.title}: <span className="reason">{r.reason ?? 'no reason given'}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {passed.length > 0 ? (
        <div className="passes">
          <p className="sub">Passed</p>
          <ul>
            {passed.map((r) => (
              <li key={r.id}>
                <span className="mark m-pass" aria-hidden="true">
                  {MARKS.pass}
                </span>{' '}
                {r.title}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

export function Detail({
  learner,
  result,
  lastChangedAt,
  now,
  focusLab,
  onClose,
}: {
  learner: DashboardLearner;
  result: DashboardClassResult;
  lastChangedAt: string | null;
  now: number;
  focusLab: string | undefined;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const byLab = new Map(learner.labs.map((lab) => [lab.lab, lab]));

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (!element.open) element.showModal();
    // The heading first: a screen reader reads whose detail this is; Tab goes on to Close.
    const target = focusLab ? element.querySelector<HTMLElement>(`#detail-lab-${CSS.escape(focusLab)}`) : null;
    (target ?? heading.current)?.focus();
    return () => {
      if (element.open) element.close();
    };
    // Only when it opens for a learner, not on every state push while it is open.
  }, [learner.learner]);

  return (
    <dialog
      ref={dialog}
      className="detail"
      aria-labelledby="detail-title"
      onCancel={(event) => {
        // Esc: React closes it by unmounting, so the hash and the focus follow.
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it.
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div className="detail-inner">
        <div className="detail-head">
          <div>
            <h2 id="detail-title" ref={heading} tabIndex={-1}>
              {learner.displayName}
            </h2>
            <p className="detail-meta">
              <code>{learner.learner}</code> · {learner.score.percent}% ({learner.score.earned} of {learner.score.possible} points) · last change{' '}
              {timeAgo(lastChangedAt, now)}
            </p>
          </div>
          <button type="button" className="close" onClick={onClose}>
            Close <span aria-hidden="true">(Esc)</span>
          </button>
        </div>
        <div className="detail-body">
          {result.labs.map((lab) => (
            <Lab key={lab.id} id={lab.id} title={lab.title} lab={byLab.get(lab.id)} />
          ))}
        </div>
      </div>
    </dialog>
  );
}
