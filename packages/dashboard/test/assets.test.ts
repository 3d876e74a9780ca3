// The page's bundle: built once into the cache, reused while no input changed, rebuilt when one
// did, and a source that does not compile gives an error naming its file and line.
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboardAssets, dashboardCacheDir, DashboardError } from '../src/index.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function temp(): string {
  const folder = mkdtempSync(join(tmpdir(), 'milab-dashboard-'));
  folders.push(folder);
  return folder;
}

/** A tiny app (no React: the test is about the cache, not the page). */
function app(folder: string, text = "document.title = 'one';"): string {
  writeFileSync(join(folder, 'styles.css'), 'body { color: black; }\n');
  writeFileSync(join(folder, 'main.tsx'), `import './styles.css';\n${text}\n`);
  // Older than any build: a file changed within a second of a build's start counts as changed (MTIME_SLACK_MS).
  const earlier = new Date(Date.now() - 60_000);
  for (const name of ['styles.css', 'main.tsx']) utimesSync(join(folder, name), earlier, earlier);
  return folder;
}

const current = (cacheDir: string) => JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8')) as { dir: string; inputs: string[] };

describe('dashboardAssets', () => {
  it('builds the real page: minified, React in its production build, CSS apart', async () => {
    const assets = await dashboardAssets({ cacheDir: temp() });
    const js = assets.js.toString('utf8');
    expect(js).toContain('EventSource');
    expect(js).not.toContain('react.development');
    expect(js).not.toMatch(/process\.env\.NODE_ENV/);
    // Minified (React's licence comments at the end are kept, as its licence asks): React's
    // development build alone is over a megabyte in thousands of lines.
    expect(js.split('\n').length).toBeLessThan(150);
    expect(assets.js.length).toBeLessThan(400_000);
    expect(assets.css.toString('utf8')).toContain('.grid');
    expect(assets.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('reuses the build while no input changed and rebuilds when one did', async () => {
    const cacheDir = temp();
    const appDir = app(temp());
    const first = await dashboardAssets({ cacheDir, appDir });
    const built = current(cacheDir);
    expect(built.inputs).toContain(join(appDir, 'main.tsx'));
    expect(built.inputs).toContain(join(appDir, 'styles.css'));

    const again = await dashboardAssets({ cacheDir, appDir });
    expect(current(cacheDir).dir).toBe(built.dir);
    expect(again.version).toBe(first.version);

    writeFileSync(join(appDir, 'main.tsx'), "import './styles.css';\ndocument.title = 'two';\n");
    // An mtime in the future: whatever the filesystem's resolution, the source is newer than the build.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(appDir, 'main.tsx'), later, later);
    const changed = await dashboardAssets({ cacheDir, appDir });
    expect(current(cacheDir).dir).not.toBe(built.dir);
    expect(changed.js.toString('utf8')).toContain('two');
    expect(changed.version).not.toBe(first.version);
  });

  it('names the file and line of a source that does not compile, and what to do', async () => {
    const appDir = app(temp(), 'const broken = ;');
    const error = await dashboardAssets({ cacheDir: temp(), appDir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DashboardError);
    const e = error as DashboardError;
    expect(e.code).toBe('MILAB_DASHBOARD_BUILD');
    expect(e.message).toMatch(/main\.tsx:2:\d+: /);
    expect(e.hint).toContain('Fix the file named above');
  });

  it('says which cache folder it cannot create, and how to choose another', async () => {
    const file = join(temp(), 'a-file');
    writeFileSync(file, '');
    await expect(dashboardAssets({ cacheDir: join(file, 'cache'), appDir: app(temp()) })).rejects.toMatchObject({
      code: 'MILAB_DASHBOARD_CACHE',
      message: expect.stringContaining(join(file, 'cache')) as unknown as string,
      hint: expect.stringContaining('MILAB_DASHBOARD_CACHE') as unknown as string,
    });
  });

  it('keeps the bundle under node_modules/.cache/milab-dashboard unless MILAB_DASHBOARD_CACHE says otherwise', () => {
    expect(dashboardCacheDir({})).toMatch(/node_modules[\\/]\.cache[\\/]milab-dashboard$/);
    expect(dashboardCacheDir({ MILAB_DASHBOARD_CACHE: '/tmp/x' })).toBe('/tmp/x');
  });
});
