// Shared vitest settings: resolve workspace packages to their TypeScript sources
// (the "source" export condition), so tests never need a prior build.
import { defineConfig } from 'vitest/config';

const conditions = ['source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    passWithNoTests: true,
    // The terminal report, plus a JSON one that scripts/test.mjs adds up into one summary line.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
