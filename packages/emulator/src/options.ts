// What the emulator's options (start flags, profile flags, the live profile endpoint) share: one
// error for a value that cannot be used, named after the option (or the environment variable it
// came from), and one number parser.

/** An option value that cannot be used, named after the option, with what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'EmulatorConfigInvalid';
  constructor(
    /** The option's flag name without dashes, e.g. `port`, `imds-faults`. */
    readonly option: string,
    message: string,
    /**
     * The environment variable the value came from (e.g. `MILAB_EMULATOR_PORT`), when it did not
     * come from a flag: the learner must be told what to change, and no flag was given.
     */
    readonly envVar?: string,
  ) {
    super(message);
  }
}

/**
 * A number from `min` to `max` (a whole one unless `integer` is false), given as a number or as
 * text; otherwise a {@link ConfigError} that names the option (or `envVar`, when the value came
 * from that environment variable), the value and the range.
 */
export function parseNumberOption(option: string, value: number | string, min: number, max: number, integer = true, envVar?: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const what = envVar ? `${envVar} value '${value}' (from the environment)` : `--${option} value '${value}'`;
    throw new ConfigError(option, `invalid ${what}: expected a ${integer ? 'whole ' : ''}number from ${min} to ${max}`, envVar);
  }
  return n;
}
