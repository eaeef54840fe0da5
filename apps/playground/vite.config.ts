/**
 * Vite: React, source-first `@corral/*` resolution, the shared benchmark fixtures as a virtual
 * module read at build time, and `/v1` proxied to a local Corral server in `pnpm dev`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const benchDir = process.env.CORRAL_BENCH_DIR ?? join(repoRoot, '..', 'shared', 'bench');

/** `virtual:corral-bench`: the todo50 fixture, so the preset is the benchmark's own file. */
function benchFixtures(): Plugin {
  const id = 'virtual:corral-bench';
  return {
    name: 'corral-bench-fixtures',
    resolveId: (source) => (source === id ? '\0' + id : null),
    load(loaded) {
      if (loaded !== '\0' + id) return null;
      const code = join(benchDir, 'todo50.plugin.js');
      const state = join(benchDir, 'todo50.state.json');
      if (!existsSync(code) || !existsSync(state))
        throw new Error(`The benchmark fixtures are missing from ${benchDir} (set CORRAL_BENCH_DIR)`);
      this.addWatchFile(code);
      this.addWatchFile(state);
      return (
        `export const todo50Code = ${JSON.stringify(readFileSync(code, 'utf8'))};\n` +
        `export const todo50State = ${readFileSync(state, 'utf8')};\n`
      );
    },
  };
}

/**
 * `virtual:corral-plugin-api`: the plugin authors' typings (`@corral/plugin`) and the UI node
 * types they build on, as text, for the editor's completions and hover.
 */
function pluginApi(): Plugin {
  const id = 'virtual:corral-plugin-api';
  const require = createRequire(import.meta.url);
  return {
    name: 'corral-plugin-api',
    resolveId: (source) => (source === id ? '\0' + id : null),
    load(loaded) {
      if (loaded !== '\0' + id) return null;
      const typings = join(dirname(require.resolve('@corral/plugin/package.json')), 'index.d.ts');
      const ui = join(dirname(require.resolve('@corral/contracts/package.json')), 'src/types/ui.ts');
      this.addWatchFile(typings);
      this.addWatchFile(ui);
      return (
        `export const pluginTypings = ${JSON.stringify(readFileSync(typings, 'utf8'))};\n` +
        `export const uiTypings = ${JSON.stringify(readFileSync(ui, 'utf8'))};\n`
      );
    },
  };
}

const sourceConditions = ['@corral/source'];

export default defineConfig({
  plugins: [react(), benchFixtures(), pluginApi()],
  resolve: { conditions: [...sourceConditions, 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: [...sourceConditions, 'module', 'node', 'development|production'] } },
  optimizeDeps: {
    // Pre-bundling breaks the variants' `new URL('…wasm', import.meta.url)`.
    exclude: [
      '@jitl/quickjs-wasmfile-release-sync',
      '@jitl/quickjs-ng-wasmfile-release-sync',
      '@corral/worker-browser',
    ],
    include: ['quickjs-emscripten-core'],
  },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, assetsInlineLimit: 0 },
  server: {
    proxy: { '/v1': { target: process.env.CORRAL_API_URL ?? 'http://127.0.0.1:8787', changeOrigin: false } },
  },
});
