/**
 * @module vitest.shared
 * Source-first resolution for every package's tests: `@corral/*` imports resolve to the
 * `@corral/source` export condition (src/index.ts), so no test needs a prior build.
 */
import { defineConfig } from 'vitest/config';

export const sourceConditions = ['@corral/source'];
// Vite's own defaults (defaultClientConditions / defaultServerConditions), which setting
// `conditions` would otherwise replace.
const clientConditions = ['module', 'browser', 'development|production'];
const serverConditions = ['module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions: [...sourceConditions, ...clientConditions] },
  ssr: { resolve: { conditions: [...sourceConditions, ...serverConditions] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
