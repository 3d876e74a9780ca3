// What every part of the suite is: a name for --only, a line for --help, and a run that
// returns its rows. `quick` asks for the smallest counts that still exercise every step.
import type { Row } from './table.js';

export interface Part {
  name: string;
  summary: string;
  run(options: { quick: boolean; log: (line: string) => void }): Promise<Row[]>;
}
