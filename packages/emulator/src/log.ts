// Log lines that cannot be forged. Anything a client sends (api-versions, paths, names) and
// anything built from it (error messages, stacks) may hold a newline or another control
// character; written raw, it starts a line of its own that reads like the emulator's. Every
// value that goes into a log line passes through `logValue`, and the configuration's log
// (config.ts, whatever its sink) passes whole lines through `escapeControl`, so one log entry is
// always one line.

/** C0 and C1 control characters, DEL, and the two Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character written as an escape (`\n`, `\r`, `\t`, `\u001b`, …). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A log sink that writes every message with its control characters escaped: one entry, one line. */
export function escapingLog(sink: (message: string) => void): (message: string) => void {
  return (message) => sink(escapeControl(message));
}

/** How many characters of one value a log line shows (a 4 MB api-version is not logged whole). */
export const LOG_VALUE_MAX = 200;

/** A client-supplied value made safe for a log line: control characters escaped, long values cut. */
export function logValue(value: unknown, max = LOG_VALUE_MAX): string {
  const text = escapeControl(String(value));
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/** An error for the log: its stack (or message), as one escaped line. */
export function logError(error: unknown): string {
  return escapeControl(error instanceof Error ? (error.stack ?? error.message) : String(error));
}

/**
 * Warns once per key. A client that sends a new api-version on every request would otherwise
 * fill the log (and this set): after `limit` distinct keys, one last line says further ones are
 * not logged.
 */
export class WarnOnce {
  readonly #seen = new Set<string>();
  #silenced = false;

  constructor(
    private readonly log: (message: string) => void,
    private readonly limit = 50,
  ) {}

  /** Logs `message()` the first time `key` is seen (keys compare case-insensitively). */
  warn(key: string, message: () => string): void {
    const normalized = key.toLowerCase();
    if (this.#seen.has(normalized) || this.#silenced) return;
    if (this.#seen.size >= this.limit) {
      this.#silenced = true;
      this.log(`warning: ${this.limit} different unknown values were warned about; further ones are served without a warning`);
      return;
    }
    this.#seen.add(normalized);
    this.log(message());
  }
}
