// A page's JavaScript and CSS: its app's entry bundled by esbuild for the browser (React's
// production build, minified), kept in <repo>/node_modules/.cache/<cache name> (or the folder its
// environment variable names) and rebuilt when one of its sources changed — the same scheme as the
// CLI's and the emulator's bundles (packages/cli/bin/fresh.mjs): current.json names the build
// folder and lists every input with the time the build started, so the check is one read and a
// stat per input, and esbuild is loaded only to rebuild. Nothing is fetched from the network: the
// bundle holds React itself, so the page works offline.
//
// One bundler for every page of the repository: the dashboard's (src/app/main.tsx here, see
// dashboardAssets) and the emulator's portal (@milab/portal, which calls bundleAssets with its own
// BundleSpec). Each app's sources are found from its package's file URLs: in the CLI and emulator
// bundles import.meta.url stays each source file's own URL (packages/cli/bin/build.mjs), so this
// works there too.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardError } from './errors.js';

/** The environment variable naming the folder of the page's bundle (tests may give a run its own). */
export const DASHBOARD_CACHE_ENV = 'MILAB_DASHBOARD_CACHE';

/** Filesystems with whole-second mtimes: an edit just before a build started still rebuilds (as fresh.mjs). */
const MTIME_SLACK_MS = 1000;

/** Build folders older than this that are not current are removed (another process may still be reading one). */
const KEEP_OLD_BUILDS_MS = 60 * 60 * 1000;

/** This package's folder: the parent of src/ (from source) or dist/ (built); src/ ships in both. */
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folder of the page's sources. */
export const APP_DIR = join(PACKAGE_DIR, 'src', 'app');

/** What one page's bundle is built from and kept in (see {@link bundleAssets}). */
export interface BundleSpec {
  /** The page, as its errors name it ("The dashboard page", "The portal page"). */
  readonly label: string;
  /** The folder of the package owning the app: its package.json is an input, its node_modules resolve the app's imports. */
  readonly packageDir: string;
  /** The folder of the app's sources. */
  readonly appDir: string;
  /** The entry file, in `appDir` (e.g. `main.tsx`). */
  readonly entry: string;
  /** The cache folder's name under `<repo>/node_modules/.cache` (e.g. `milab-dashboard`). */
  readonly cacheName: string;
  /** The environment variable that chooses another cache folder (e.g. `MILAB_DASHBOARD_CACHE`). */
  readonly cacheEnv: string;
  /** The errors' code prefix: `<prefix>_CACHE`, `<prefix>_BUILD` (e.g. `MILAB_DASHBOARD`). */
  readonly codePrefix: string;
}

/** The dashboard's page. */
const DASHBOARD_BUNDLE: BundleSpec = {
  label: 'The dashboard page',
  packageDir: PACKAGE_DIR,
  appDir: APP_DIR,
  entry: 'main.tsx',
  cacheName: 'milab-dashboard',
  cacheEnv: DASHBOARD_CACHE_ENV,
  codePrefix: 'MILAB_DASHBOARD',
};

/** A page's bundle: the script and the style sheet, with a content hash for cache-busting URLs. */
export type BundledAssets = DashboardAssets;

/** The page's bundle: the script and the style sheet, with a content hash for cache-busting URLs. */
export interface DashboardAssets {
  readonly js: Buffer;
  readonly css: Buffer;
  /** A short hash of both, different whenever either changes. */
  readonly version: string;
}

interface BuildRecord {
  readonly dir: string;
  readonly builtAt: number;
  readonly inputs: readonly string[];
}

/** Where the bundle is kept: `$MILAB_DASHBOARD_CACHE`, else `<repo>/node_modules/.cache/milab-dashboard`. */
export function dashboardCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return bundleCacheDir(DASHBOARD_BUNDLE, env);
}

/** Where a page's bundle is kept: `$<cacheEnv>`, else `<repo>/node_modules/.cache/<cacheName>`. */
export function bundleCacheDir(spec: BundleSpec, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[spec.cacheEnv]?.trim();
  if (chosen) return chosen;
  const repo = join(spec.packageDir, '..', '..');
  const modules = existsSync(join(repo, 'node_modules')) ? join(repo, 'node_modules') : join(spec.packageDir, 'node_modules');
  return join(modules, '.cache', spec.cacheName);
}

/** The current build's record in `cacheDir` when every input is older than it, else undefined. */
function freshBuild(cacheDir: string): BuildRecord | undefined {
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8')) as BuildRecord;
  } catch {
    return undefined; // never built, or unreadable: build again
  }
  if (!record || typeof record.dir !== 'string' || !Array.isArray(record.inputs) || typeof record.builtAt !== 'number') return undefined;
  for (const file of record.inputs) {
    try {
      if (statSync(file).mtimeMs > record.builtAt - MTIME_SLACK_MS) return undefined;
    } catch {
      return undefined; // an input was removed
    }
  }
  if (!existsSync(join(cacheDir, record.dir, 'app.js')) || !existsSync(join(cacheDir, record.dir, 'app.css'))) return undefined;
  return record;
}

/** Files whose change must rebuild although the page does not import them: this builder, the manifest, the installed dependencies. */
function extraInputs(packageDir: string): string[] {
  const repo = join(packageDir, '..', '..');
  const files = [fileURLToPath(import.meta.url), join(packageDir, 'package.json'), join(repo, 'node_modules', '.modules.yaml')];
  return files.filter((file) => existsSync(file));
}

/** esbuild's messages, each with its file:line:column when it has one (as fresh.mjs's buildProblems). */
export function buildProblems(error: unknown): string[] {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] } | undefined)?.errors;
  const messages = Array.isArray(errors) && errors.length > 0 ? errors : [{ text: error instanceof Error ? error.message : String(error), location: undefined }];
  return messages.map(({ text, location }) => `${location ? `${location.file}:${location.line}:${location.column + 1}: ` : ''}${text}`);
}

async function buildApp(spec: BundleSpec, cacheDir: string, appDir: string): Promise<BuildRecord> {
  const { build } = await import('esbuild');
  const builtAt = Date.now(); // before reading any source: an edit during the build triggers the next one
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch (error) {
    throw new DashboardError(`${spec.label} cannot be built: its cache folder ${cacheDir} cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, {
      code: `${spec.codePrefix}_CACHE`,
      hint: `Set ${spec.cacheEnv} to a folder you can write to, then start again.`,
      cause: error,
    });
  }
  const dir = `build-${builtAt}-${process.pid}`;
  let result;
  try {
    result = await build({
      absWorkingDir: spec.packageDir,
      entryPoints: { app: join(appDir, spec.entry) },
      outdir: join(cacheDir, dir),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome111', 'firefox115', 'safari16.4', 'edge111'],
      minify: true,
      jsx: 'automatic',
      // React's production build: the development one is larger, slower and warns in the console.
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.css': 'css' },
      metafile: true,
      logLevel: 'silent',
      legalComments: 'eof',
    });
  } catch (error) {
    const problems = buildProblems(error);
    throw new DashboardError(`${spec.label} could not be built from its sources:\n${problems.map((line) => `  ${line}`).join('\n')}`, {
      code: `${spec.codePrefix}_BUILD`,
      hint: `Fix the file named above (or undo your change there) in ${relative(process.cwd(), appDir) || appDir}, then start again.`,
      cause: error,
    });
  }
  const inputs = Object.keys(result.metafile.inputs)
    // node_modules changes only through an install, which rewrites node_modules/.modules.yaml.
    .filter((path) => !path.includes(':') && !path.split('/').includes('node_modules'))
    .map((path) => join(spec.packageDir, path));
  const record: BuildRecord = { dir, builtAt, inputs: [...new Set([...inputs, ...extraInputs(spec.packageDir)])] };
  // Written last and atomically: a concurrent start never sees a half-written bundle.
  const pointer = join(cacheDir, 'current.json');
  const temp = `${pointer}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 1)}\n`);
  renameSync(temp, pointer);
  removeOldBuilds(cacheDir, dir);
  return record;
}

function removeOldBuilds(cacheDir: string, current: string): void {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('build-') || name === current) continue;
    const path = join(cacheDir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_BUILDS_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

/** One build at a time per cache in this process: servers started together (tests) share it. */
const building = new Map<string, Promise<BuildRecord>>();

/**
 * The page's bundle, built first when there is none or a source changed. A source that does not
 * compile rejects with a {@link DashboardError} whose message names each file:line. `appDir` (its
 * main.tsx is the entry) is for tests; `cacheDir` defaults to {@link dashboardCacheDir}.
 */
export async function dashboardAssets(options: { cacheDir?: string; appDir?: string } = {}): Promise<DashboardAssets> {
  return bundleAssets(DASHBOARD_BUNDLE, options);
}

/**
 * A page's bundle (`spec` says which), built first when there is none or a source changed. A
 * source that does not compile rejects with a {@link DashboardError} (`<codePrefix>_BUILD`) whose
 * message names each file:line. `appDir` overrides the spec's (tests); `cacheDir` defaults to
 * {@link bundleCacheDir}.
 */
export async function bundleAssets(spec: BundleSpec, options: { cacheDir?: string; appDir?: string } = {}): Promise<BundledAssets> {
  const cacheDir = options.cacheDir ?? bundleCacheDir(spec);
  const appDir = options.appDir ?? spec.appDir;
  let record = freshBuild(cacheDir);
  if (!record) {
    let pending = building.get(cacheDir);
    if (!pending) {
      pending = buildApp(spec, cacheDir, appDir).finally(() => building.delete(cacheDir));
      building.set(cacheDir, pending);
    }
    record = await pending;
  }
  const js = readFileSync(join(cacheDir, record.dir, 'app.js'));
  const css = readFileSync(join(cacheDir, record.dir, 'app.css'));
  const version = createHash('sha256').update(js).update(css).digest('hex').slice(0, 12);
  return { js, css, version };
}

/** What a bundled page's index.html says besides its bundle. */
export interface PageHtml {
  readonly title: string;
  /** Where the server serves `app.js` and `app.css` (`/assets`, `/portal/assets`). */
  readonly assetsPath: string;
  /** Shown until the script runs. */
  readonly loading: string;
  /** Shown without JavaScript: what else gives the same (HTML allowed: written by this code only). */
  readonly noscriptHtml: string;
  /** Extra `<head>` lines (HTML). */
  readonly head?: readonly string[];
  /** A class on the loading and noscript paragraphs. */
  readonly bootClass?: string;
}

/**
 * The index.html of a bundled page: its style sheet and deferred script with the bundle's version
 * in their URLs (a new build is never served from a stale cache), a loading line, a noscript line.
 * No inline script, so the servers' Content-Security-Policy can allow this origin's scripts only.
 */
export function pageHtml(assets: BundledAssets, page: PageHtml): string {
  const boot = page.bootClass ? ` class="${page.bootClass}"` : '';
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ...(page.head ?? []),
    `<title>${page.title}</title>`,
    `<link rel="stylesheet" href="${page.assetsPath}/app.css?v=${assets.version}">`,
    `<script defer src="${page.assetsPath}/app.js?v=${assets.version}"></script>`,
    '</head>',
    '<body>',
    `<div id="root"><p${boot}>${page.loading}</p></div>`,
    `<noscript><p${boot}>${page.noscriptHtml}</p></noscript>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

