/**
 * QuickJS asks the interrupt handler only every 10,000 interpreter ticks, so a loop of native
 * calls that are costly but tick once or twice runs long between asks: a loop of then() calls
 * was asked every 15 ms, and a promise fan-out overran a 30 ms deadline by up to 11 ms. The
 * bootstrap makes then() spend ticks (see bootstrap.ts). This counts the asks through the clock
 * the runtime is given: the interrupt handler reads it at every ask.
 */
import { describe, expect, it } from 'vitest';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import NG_RELEASE_SYNC from '@jitl/quickjs-ng-wasmfile-release-sync';
import { LIMIT_PROFILES } from '@corral/contracts';
import { createRuntime, createSystemClock } from '../src/index.js';

// then() on a promise that never settles queues no job, so the call only loops.
const THEN_LOOP = `definePlugin({ widgets: { main: { render: function (ctx) {
  var pending = new Promise(function () {});
  function nothing() {}
  for (var i = 0; i < ctx.pluginState.n; i++) pending.then(nothing);
  return { kind: "text", text: "ok" };
} } } });`;

for (const [engine, variant] of [
  ['quickjs', RELEASE_SYNC],
  ['quickjs-ng', NG_RELEASE_SYNC],
] as const) {
  describe(`then() as an interrupt poll point (${engine})`, () => {
    it('a loop of then() calls lets the interrupt handler look at the deadline often', async () => {
      const system = createSystemClock();
      let reads = 0;
      const clock = {
        ...system,
        now: () => {
          reads++;
          return system.now();
        },
      };
      // A deadline no busy machine reaches: the test counts asks, it does not time the loop.
      const slack = { renderTimeoutMs: 5000 };
      const runtime = await createRuntime({
        variant,
        clock,
        limitsCeiling: { ...LIMIT_PROFILES.generous, ...slack },
      });
      try {
        await runtime.loadPlugin({ pluginId: 'p', code: THEN_LOOP, limits: slack });
        const readsDuring = async (n: number): Promise<number> => {
          const before = reads;
          const { tree } = await runtime.render({
            pluginId: 'p',
            widgetId: 'main',
            pluginState: { n },
            globalState: {},
          });
          expect(tree).toEqual({ kind: 'text', text: 'ok' });
          return reads - before;
        };
        const fixed = await readsDuring(0);
        const asks = (await readsDuring(2000)) - fixed;
        // Measured on both engines: 8 asks with then() spending ticks, 1 without (the loop takes
        // 20-35 ms either way).
        expect(asks).toBeGreaterThanOrEqual(5);
      } finally {
        runtime.dispose();
      }
    });
  });
}
