#!/usr/bin/env node
// The `milab` command: the program (program.ts) run on the command line, errors turned into exit codes.
import { buildProgram } from './program.js';
import { runMain } from './run.js';

await runMain(buildProgram(), process.argv);
