// The dashboard's own errors. This package depends on no other workspace package (the cli depends
// on it), so this is not @milab/core's MilabError, but it has the same shape: a stable `code` and a
// `hint` (the next step), which is what @milab/core's isMilabError() looks for, so the CLI prints
// it like any other milab error: the message, then what to do.

/** Options of a {@link DashboardError}. */
export interface DashboardErrorOptions {
  /** Stable, machine-readable code: a `MILAB_DASHBOARD_*` constant. */
  code: string;
  /** The next step, for a person. */
  hint: string;
  /** The lower-level error this one explains. */
  cause?: unknown;
  /**
   * The CLI's exit code when this error ends a command (read by @milab/cli as MilabError's):
   * 2, "could not run" (a port taken, a page that cannot be built), unless the input was at fault (1).
   */
  exitCode?: 1 | 2;
}

/** An error the dashboard raises on purpose: the message says what happened, `hint` what to do. */
export class DashboardError extends Error {
  override name = 'DashboardError';
  readonly code: string;
  readonly hint: string;
  readonly exitCode: 1 | 2;

  constructor(message: string, options: DashboardErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 2;
  }
}
