import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';
import app from './vite.config.js';

// The app's own Vite config (its virtual modules), store and renderer tests in jsdom; the
// end-to-end gates (e2e/) run under Playwright.
export default mergeConfig(mergeConfig(shared, app), {
  test: { include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], environment: 'jsdom' },
});
