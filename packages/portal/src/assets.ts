// The portal page's JavaScript and CSS: src/app/main.tsx bundled by the repository's one page
// bundler (@milab/dashboard's bundleAssets: esbuild, React's production build, minified, kept in
// <repo>/node_modules/.cache/milab-portal or $MILAB_PORTAL_CACHE, rebuilt when a source changed).
// Everything the page needs is in the bundle (React, Fluent UI and its icons): nothing is
// fetched from the network, so the portal works offline.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAssets, type BundledAssets, type BundleSpec } from '@milab/dashboard';

/** The environment variable naming the folder of the portal's bundle (tests may give a run its own). */
export const PORTAL_CACHE_ENV = 'MILAB_PORTAL_CACHE';

/** This package's folder: the parent of src/ (from source) or dist/ (built); src/ ships in both. */
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The portal's page, as the bundler builds it. */
export const PORTAL_BUNDLE: BundleSpec = {
  label: 'The portal page',
  packageDir: PACKAGE_DIR,
  appDir: join(PACKAGE_DIR, 'src', 'app'),
  entry: 'main.tsx',
  cacheName: 'milab-portal',
  cacheEnv: PORTAL_CACHE_ENV,
  codePrefix: 'MILAB_PORTAL',
};

export type PortalAssets = BundledAssets;

/** The portal's bundle, built first when there is none or a source changed. */
export function portalAssets(options: { cacheDir?: string } = {}): Promise<PortalAssets> {
  return bundleAssets(PORTAL_BUNDLE, options);
}
