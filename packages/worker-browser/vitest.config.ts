import { mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import shared from '../../vitest.shared.js';
import { equivalenceRecordings, readFixtures } from './test/fixtures.js';
import { cspReports, strictCsp, wasmRequests } from './test/strictCsp.js';

export const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
};

// Pre-bundling would move the variants' `new URL('…wasm', import.meta.url)` away from their
// .wasm; quickjs-emscripten-core is CommonJS-free ESM but many files, so it is bundled once.
export const browserDeps = {
  exclude: ['@jitl/quickjs-wasmfile-release-sync', '@jitl/quickjs-ng-wasmfile-release-sync'],
  include: ['quickjs-emscripten-core'],
};

// Real Chromium and real Web Workers with deadline assertions: one file at a time.
export default mergeConfig(shared, {
  plugins: [strictCsp()],
  optimizeDeps: browserDeps,
  worker: { format: 'es' },
  test: {
    fileParallelism: false,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: chromium }),
      instances: [{ browser: 'chromium' }],
      commands: {
        corralFixtures: () => readFixtures(),
        /** The violations reported so far; `clear` empties the list after reading it. */
        cspReports: (_context: unknown, clear?: boolean) => (clear ? cspReports.splice(0) : [...cspReports]),
        wasmRequests: () => [...wasmRequests],
        /** Recordings `from` to `to` (exclusive) of the equivalence sessions, made in Node. */
        equivalenceRecordings: async (_context: unknown, from: number, to: number) =>
          (await equivalenceRecordings()).slice(from, to),
      },
    },
  },
});
