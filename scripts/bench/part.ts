// What every part of the suite is: a name for --only, a line for --help, and a module whose
// `run` returns its rows, loaded only when the part runs (so --help starts at once).
// `quick` asks for the smallest counts that still exercise every step.
import type { Row } from './table.js';

/** What a part's `run` is given. */
export interface PartOptions {
  quick: boolean;
  /** Progress, to stderr (the table goes to stdout). */
  log: (line: string) => void;
}

export interface Part {
  name: string;
  summary: string;
  load(): Promise<{ run(options: PartOptions): Promise<Row[]> }>;
}
