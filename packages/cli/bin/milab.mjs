#!/usr/bin/env node
// The `milab` command without a build step: `pnpm milab …` runs this bin (the root package depends
// on @milab/cli), so pnpm prints no command line and no ELIFECYCLE, and the exit code is milab's.
// It loads src/main.ts in this same process, as `node --conditions=source --import tsx` would:
// tsx compiles TypeScript, and a resolve hook adds the "source" export condition under which the
// workspace packages point at their TypeScript sources. Re-running node with those flags instead
// would start a second process (about 0.2 s slower, and signals would need forwarding).
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
// Hooks registered later run first: this one adds the condition, then tsx and Node resolve.
register(
  `data:text/javascript,${encodeURIComponent(
    "export function resolve(specifier, context, next) { return next(specifier, context.conditions.includes('source') ? context : { ...context, conditions: [...context.conditions, 'source'] }); }",
  )}`,
);
await import(new URL('../src/main.ts', import.meta.url).href);
