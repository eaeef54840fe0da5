/**
 * @module engines
 * The QuickJS builds a worker can be booted with, by name. Each is a `@jitl/*` variant (browser-safe
 * ESM, its `.wasm` a separate file), imported only when a worker asks for it, so a host that runs
 * one engine never loads the other, and nothing here needs Node or the DOM.
 */
import type { QuickJSSyncVariant } from 'quickjs-emscripten-core';

/** The engines a worker host can name. */
export type EngineName = 'quickjs' | 'quickjs-ng';

/** One engine: how a worker imports it and where its `.wasm` lives. */
export interface EngineVariant {
  /** Import the variant (inside the worker). */
  load(): Promise<QuickJSSyncVariant>;
  /**
   * The package specifier of its `.wasm`, for a host that compiles it once and posts the
   * `WebAssembly.Module` to every worker (Node: `require.resolve` it; a bundler: its URL).
   */
  wasm: string;
}

/** Every engine by name. */
export const ENGINES: Readonly<Record<EngineName, EngineVariant>> = {
  quickjs: {
    load: async () => (await import('@jitl/quickjs-wasmfile-release-sync')).default,
    wasm: '@jitl/quickjs-wasmfile-release-sync/wasm',
  },
  'quickjs-ng': {
    load: async () => (await import('@jitl/quickjs-ng-wasmfile-release-sync')).default,
    wasm: '@jitl/quickjs-ng-wasmfile-release-sync/wasm',
  },
};

/** The engine called `name`, or undefined for a name that is not one (checked, never trusted). */
export function engineVariant(name: string): EngineVariant | undefined {
  return Object.hasOwn(ENGINES, name) ? ENGINES[name as EngineName] : undefined;
}
