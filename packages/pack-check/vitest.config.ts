import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    // One build and pack for every file; installs fetch third-party packages (a warm npm cache
    // makes them quick, a cold one is bounded by the network).
    test: { globalSetup: ['test/globalSetup.ts'], testTimeout: 180_000, hookTimeout: 300_000 },
  }),
);
