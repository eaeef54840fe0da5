/**
 * End-to-end gates: the built playground served by the real Corral server (apps/server, its
 * static route and strict CSP) on a free port, driven in Debian's Chromium.
 */
import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';

const port = Number(process.env.CORRAL_E2E_PORT ?? 8941);
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  testDir: 'e2e',
  globalTeardown: './e2e/globalTeardown.ts',
  outputDir: 'test-results',
  // One browser at a time: the machine has two cores and the gates measure responsiveness.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: 'node --conditions=@corral/source --import tsx ../server/src/main.ts',
    cwd: here,
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      CORRAL_PLAYGROUND_DIR: fileURLToPath(new URL('dist', import.meta.url)),
      // The playground's global actions (see ALLOWED_GLOBAL_ACTIONS in src/store/session.ts).
      CORRAL_ALLOWED_GLOBAL_ACTIONS: 'notifications/add,counter/increment',
      CORRAL_LOG_LEVEL: 'warn',
      CORRAL_RATE_LIMIT_MAX: '0',
    },
  },
});
