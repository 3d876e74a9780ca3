// Lets this process import TypeScript files (a lab's reference solution, run in-process by
// `milab solve`) when it runs the bundled CLI, where nothing compiles TypeScript: registers tsx,
// and a resolve hook adding the "source" export condition under which the workspace packages point
// at their TypeScript sources — what `node --conditions=source --import tsx` gives a learner's run.
import { register } from 'node:module';

/** Set by bin/milab.mjs when it runs the bundle (from source, under tsx or vitest, TypeScript already loads). */
const BUNDLED = Symbol.for('milab.cli.bundled');

/** Adds the "source" condition to every resolution that lacks it. */
const SOURCE_CONDITION_HOOK = `data:text/javascript,${encodeURIComponent(
  "export function resolve(specifier, context, next) { return next(specifier, context.conditions.includes('source') ? context : { ...context, conditions: [...context.conditions, 'source'] }); }",
)}`;

let registered = false;

/** Makes `import()` of a `.ts` file work in this process; does nothing where it already does. */
export async function enableTypeScriptImports(): Promise<void> {
  if (registered || (globalThis as Record<symbol, unknown>)[BUNDLED] !== true) return;
  registered = true;
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  // Hooks registered later run first: this one adds the condition, then tsx and Node resolve.
  register(SOURCE_CONDITION_HOOK);
}
