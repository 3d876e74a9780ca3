// Bundles a program of the repository into plain JavaScript with esbuild, so it starts without tsx:
// the CLI (packages/cli/src/main.ts, run by milab.mjs) and the emulator process (packages/emulator/
// src/bin.ts, spawned by the emulator's launcher.ts). Loaded (through fresh.mjs) only when a
// program's bundle is missing or older than one of its inputs.
//
// - The workspace packages (@milab/*) are inlined from their TypeScript sources (the "source"
//   export condition), and so are their dependencies but for EXTERNAL_PACKAGES below.
// - The CLI is split: each command's dynamic imports become chunks, loaded only when used. The
//   emulator is one file: it loads everything at start anyway, and a long-running emulator must
//   not need a chunk from a build folder removed since (see KEEP_OLD_BUILDS_MS).
// - `import.meta.url` in every inlined file is replaced by that file's own URL, so paths computed
//   from it (repoRoot, the emulator's bin.ts, graders/lib/vm-harness.ts, the labs folder) are the
//   same as when running from source.
// - Each build goes to a fresh folder; `current.json` (written last, atomically) names it and lists
//   the inputs, so a concurrent `milab` never sees a half-written bundle.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** Build folders older than this that are not current are removed (a running `milab` may still load chunks from one). */
const KEEP_OLD_BUILDS_MS = 60 * 60 * 1000;

const BUILTINS = new Set(builtinModules);

/**
 * The programs: the entry to bundle, the name of the file to run, whether to split, and the
 * launcher that runs it (an input too: a change in how it runs the bundle rebuilds).
 */
const PROGRAMS = {
  cli: { entry: 'packages/cli/src/main.ts', name: 'main', splitting: true, launcher: 'packages/cli/bin/milab.mjs' },
  emulator: { entry: 'packages/emulator/src/bin.ts', name: 'emulator', splitting: false, launcher: 'packages/emulator/src/launcher.ts' },
};

/** Files whose change must rebuild although no source imports them (the build itself, the launcher, the packages' manifests, the installed dependencies). */
function extraInputs(repo, program) {
  const files = [fileURLToPath(import.meta.url), fileURLToPath(new URL('./fresh.mjs', import.meta.url)), join(repo, program.launcher), join(repo, 'node_modules', '.modules.yaml')];
  for (const name of readdirSync(join(repo, 'packages'))) files.push(join(repo, 'packages', name, 'package.json'));
  files.push(join(repo, 'labs', 'package.json'), join(repo, 'graders', 'package.json'));
  return files.filter((file) => existsSync(file));
}

/**
 * Packages loaded from node_modules instead of bundled: native code (lmdb and its msgpackr), and the
 * TypeScript tooling itself. Everything else is bundled: the Azure SDK loads about 4 x faster from
 * a few chunks than from its hundreds of files.
 */
const EXTERNAL_PACKAGES = new Set(['lmdb', 'msgpackr', 'msgpackr-extract', 'tsx', 'esbuild']);

/**
 * Workspace packages whose index static importers elsewhere reach through a facade naming only
 * what they import (see namedImportsFacade). esbuild puts in a chunk every module the chunk's
 * files import, used or not: a file importing a package's index brings every module the index
 * re-exports. The emulator's index is also core's dynamic-import entry, so `milab grade` (a few
 * of its constants and helpers) loaded its whole chunk (the server, zod, jose, lmdb); the labs'
 * index brought zx (labs/src/reset.ts, for `milab reset` only) into every grade.
 */
const FACADE_PACKAGES = new Set(['@milab/emulator', '@milab/labs']);

/** `import { a, b as c, type T } from 'SPEC'` statements of a source, and whether it reaches SPEC in any other way. */
function namedImportsOf(text, specifier) {
  const quoted = `['"]${specifier.replace(/[/.]/g, '\\$&')}['"]`;
  const names = new Set();
  let statements = 0;
  for (const match of text.matchAll(new RegExp(`\\bimport\\s+(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${quoted}`, 'g'))) {
    statements++;
    if (match[1]) continue; // `import type { … }`: erased
    for (const part of match[2].split(',')) {
      const spec = part.trim();
      if (spec === '' || /^type\s/.test(spec)) continue;
      names.add(spec.split(/\s+as\s+/)[0].trim());
    }
  }
  const mentions = [...text.matchAll(new RegExp(quoted, 'g'))].length;
  const dynamic = [...text.matchAll(new RegExp(`\\bimport\\(\\s*${quoted}\\s*\\)`, 'g'))].length;
  return { names, other: mentions !== statements + dynamic };
}

/** The value names an `export { … }` list gives: [local, exported] pairs (type-only ones left out). */
function exportList(list) {
  const pairs = [];
  for (const part of list.split(',')) {
    const spec = part.trim();
    if (spec === '' || /^type\s/.test(spec)) continue;
    const [local, exported = local] = spec.split(/\s+as\s+/).map((s) => s.trim());
    pairs.push([local, exported]);
  }
  return pairs;
}

/**
 * The value names a module of ours exports by declaration (`export function|class|const|let|var|enum
 * NAME`) or by list (`export { a, b as c }`, with or without `from`); undefined when it has an
 * export this does not read (`export *`, `export default`, a destructuring `export const {`).
 */
function declaredExports(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (/^export\s+(\*|default\b|(const|let|var)\s*[{[])/m.test(text)) return undefined;
  const names = new Set();
  for (const match of text.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|const|let|var|enum)\s+([A-Za-z_$][\w$]*)/gm)) names.add(match[1]);
  for (const match of text.matchAll(/^export\s+\{([^}]*)\}/gm)) for (const [, exported] of exportList(match[1])) names.add(exported);
  return names;
}

/**
 * Where each name an index re-exports comes from: its `export { a, b as c } from './file.js'`
 * lines, and the files of its `export * from './file.js'` lines by what they declare (a name
 * two of them give is left out: ambiguous, as in ES modules). Undefined when a star-exported
 * file cannot be read that way.
 */
function reExportsOf(indexFile) {
  const from = new Map();
  const text = readFileSync(indexFile, 'utf8');
  for (const match of text.matchAll(/\bexport\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    if (match[1]) continue;
    for (const [local, exported] of exportList(match[2])) from.set(exported, { local, file: match[3] });
  }
  const starred = new Map();
  for (const match of text.matchAll(/\bexport\s+\*\s+from\s*['"](\.[^'"]+)['"]/g)) {
    const names = declaredExports(join(dirname(indexFile), match[1].replace(/\.js$/, '.ts')));
    if (!names) return undefined;
    for (const name of names) starred.set(name, starred.has(name) ? null : match[1]);
  }
  for (const [name, file] of starred) if (file && !from.has(name)) from.set(name, { local: name, file });
  return from;
}

/**
 * The facade of `indexFile` for one importer: only the names `importerText` imports, each from
 * the file that defines it. Undefined (import the index itself) when the importer reaches the
 * package in another way (`import *`, a default import, `export … from`) or imports a name the
 * index's `export { … } from` lines do not name.
 */
function namedImportsFacade(importerText, specifier, indexFile) {
  const { names, other } = namedImportsOf(importerText, specifier);
  if (other) return undefined;
  const from = reExportsOf(indexFile);
  if (!from) return undefined;
  const lines = [];
  for (const name of names) {
    const source = from.get(name);
    if (!source) return undefined;
    lines.push(`export { ${source.local === name ? name : `${source.local} as ${name}`} } from ${JSON.stringify(source.file)};`);
  }
  return lines.join('\n');
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** esbuild plugin: the external packages are imported by their resolved file URL; import.meta.url becomes each source file's own URL. */
export function repoLayout() {
  return {
    name: 'milab-repo-layout',
    setup(b) {
      const resolve = (args) => b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { milabInner: true } });
      const ours = (path) => !path.split(sep).includes('node_modules');
      // The repository's own modules have no import-time side effects anyone relies on (none is
      // imported for its effects alone): saying so lets esbuild leave out the modules a package's
      // index re-exports but a chunk never uses, so `milab --help` does not load the emulator.
      // (esbuild splits at file granularity: a file the entry needs brings every import it keeps.)
      b.onResolve({ filter: /^(\.|@milab\/)/ }, async (args) => {
        if (args.pluginData?.milabInner || !ours(args.importer)) return undefined;
        const found = await resolve(args);
        if (found.errors.length > 0) return { errors: found.errors };
        // A static import of a facade package's index from another package: through its facade.
        if (FACADE_PACKAGES.has(args.path) && args.kind === 'import-statement') {
          const contents = namedImportsFacade(readFileSync(args.importer, 'utf8'), args.path, found.path);
          if (contents !== undefined) return { path: `${found.path}?facade-for=${args.importer}`, namespace: 'milab-facade', pluginData: { contents, resolveDir: dirname(found.path) }, sideEffects: false };
        }
        return { path: found.path, sideEffects: !ours(found.path) };
      });
      b.onLoad({ filter: /.*/, namespace: 'milab-facade' }, (args) => ({ contents: args.pluginData.contents, resolveDir: args.pluginData.resolveDir, loader: 'js' }));
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.milabInner) return undefined;
        const name = args.path.startsWith('node:') ? args.path.slice(5) : args.path;
        if (BUILTINS.has(name) || BUILTINS.has(packageName(name))) return { path: args.path, external: true };
        if (args.path.startsWith('@milab/')) return undefined; // handled above
        if (!EXTERNAL_PACKAGES.has(packageName(args.path))) {
          if (!ours(args.importer)) return undefined; // bundled, as the package says
          // Bundled; imported by our code only for its bindings (it imports nothing for effects
          // alone), so a file that uses none of them does not drag the package in.
          const found = await resolve(args);
          if (found.errors.length > 0) return { errors: found.errors };
          return { path: found.path, sideEffects: false };
        }
        // pnpm keeps each package's dependencies next to it, so the bundle's own folder could not
        // resolve this name: import the file it resolves to from the importing file instead.
        const found = await resolve(args);
        if (found.errors.length > 0) return { errors: found.errors };
        return { path: pathToFileURL(found.path).href, external: true };
      });
      // Only the repository's own TypeScript: what node_modules ships is JavaScript.
      b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        if (!ours(args.path)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        return { contents: text.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
      });
    },
  };
}

/** Bundled CommonJS code calls require() for Node's built-in modules, which ESM output lacks. */
const REQUIRE_SHIM = "import { createRequire as __milabCreateRequire } from 'node:module'; const require = __milabCreateRequire(import.meta.url);";

/**
 * Builds the bundle of `repo`'s `program` ('cli' or 'emulator') into a new folder under `cacheDir`
 * and makes it current. Returns the current.json record: { dir, entry, builtAt, inputs }.
 */
export async function buildBundle(repo, cacheDir, program = 'cli') {
  const spec = PROGRAMS[program];
  if (!spec) throw new Error(`build.mjs: no program '${program}'; expected one of ${Object.keys(PROGRAMS).join(', ')}`);
  const builtAt = Date.now(); // before reading any source: an edit during the build triggers the next one
  mkdirSync(cacheDir, { recursive: true });
  const dir = join(cacheDir, `build-${builtAt}-${process.pid}`);
  const result = await build({
    absWorkingDir: repo,
    entryPoints: { [spec.name]: join(repo, spec.entry) },
    outdir: dir,
    bundle: true,
    splitting: spec.splitting,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    conditions: ['source'],
    // ESM builds first: a CommonJS package reached by import() would, in a split chunk, offer only
    // its default export (the Azure SDK's arm-* clients are CommonJS under "main", ESM under "module").
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: REQUIRE_SHIM },
    plugins: [repoLayout()],
  });
  const inputs = Object.keys(result.metafile.inputs)
    // node_modules changes only through an install, which rewrites node_modules/.modules.yaml.
    .filter((path) => !path.includes(':') && !path.split('/').includes('node_modules'))
    .map((path) => join(repo, path));
  const record = { dir: relative(cacheDir, dir), entry: `${spec.name}.js`, builtAt, inputs: [...new Set([...inputs, ...extraInputs(repo, spec)])] };
  // What each output holds: `esbuild --analyze`-style questions (why is main.js big?) start here.
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(result.metafile));
  const pointer = join(cacheDir, 'current.json');
  const temp = `${pointer}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 1)}\n`);
  renameSync(temp, pointer);
  removeOldBuilds(cacheDir, record.dir);
  return record;
}

function removeOldBuilds(cacheDir, current) {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('build-') || name === current) continue;
    const path = join(cacheDir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_BUILDS_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another milab removed it first
    }
  }
}
