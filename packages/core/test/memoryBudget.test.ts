/**
 * A plugin's memory budget holds from the first call on a fresh engine. The module's memory starts
 * at the 16 MiB its build declares, most of it free, and the heap gate only sees growth: without
 * the engine reserving that free space, a 4 MiB plugin could hold 8 MiB (or 13) unseen.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import quickjsNg from '@jitl/quickjs-ng-wasmfile-release-sync';
import { describe, expect, it } from 'vitest';
import { CorralError } from '@corral/contracts';
import { createRuntime } from '@corral/core';

// Keeps eight 1 MiB buffers (each filled, so the pages are really used) and renders their count.
const HOLDS_8_MIB = `var keep = [];
definePlugin({ widgets: { main: { render: function () {
  for (var i = 0; i < 8; i++) keep.push(new Uint8Array(1 << 20).fill(1));
  return { kind: "text", text: "held " + keep.length + " MiB" };
} } } });`;

describe('the memory budget on a fresh engine', () => {
  for (const [name, variant] of [
    ['quickjs', quickjs],
    ['quickjs-ng', quickjsNg],
  ] as const) {
    it(`${name}: a 4 MiB plugin cannot hold 8 MiB of the heap's initial free space`, async () => {
      const runtime = await createRuntime({ variant });
      try {
        await runtime.loadPlugin({
          pluginId: 'holder',
          code: HOLDS_8_MIB,
          limits: { memoryBytes: 4 * 1024 * 1024, renderTimeoutMs: 1000 },
        });
        const failure = await runtime
          .render({ pluginId: 'holder', widgetId: 'main', pluginState: {}, globalState: {} })
          .then(
            (result) => result.tree,
            (e: unknown) => CorralError.fromUnknown(e),
          );
        expect(failure).toMatchObject({ code: 'LIMIT_MEMORY' });
        // With a budget that fits, the same plugin renders.
        await runtime.loadPlugin({
          pluginId: 'roomy',
          code: HOLDS_8_MIB,
          limits: { memoryBytes: 16 * 1024 * 1024, renderTimeoutMs: 1000 },
        });
        const ok = await runtime.render({
          pluginId: 'roomy',
          widgetId: 'main',
          pluginState: {},
          globalState: {},
        });
        expect(ok.tree).toEqual({ kind: 'text', text: 'held 8 MiB' });
      } finally {
        runtime.dispose();
      }
    });
  }
});
