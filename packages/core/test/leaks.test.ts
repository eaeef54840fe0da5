/**
 * No leaked handles or allocations: the debug build of QuickJS carries a leak sanitizer, and
 * `assertNoMemoryAllocated` fails if anything the runtime allocated was not freed.
 */
import debugVariant from '@jitl/quickjs-wasmfile-debug-sync';
import releaseVariant from '@jitl/quickjs-wasmfile-release-sync';
import { TestQuickJSWASMModule, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import { describe, expect, it } from 'vitest';
import { LIMIT_PROFILES } from '@corral/contracts';
import { createRuntime } from '@corral/core';
import { armedPlugin, ATTACKS, returning } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

const { counter, todo50, todo50State } = readFixtures();
// The debug build runs ~175 ms per load (it is unoptimized and sanitized): 10,000 cycles take
// ~29 minutes, so CI runs 300 here (set CORRAL_LEAK_CYCLES=10000 for the full run) and the
// 10,000-cycle run below uses the release build and checks the heap stops growing.
const CYCLES = Number(process.env.CORRAL_LEAK_CYCLES ?? 300);

// These tests are about memory, not deadlines: a starved CI host must not turn a benign call
// into LIMIT_TIME, so loads and calls get deadlines far past anything they need.
const relaxed = { loadTimeoutMs: 10_000, renderTimeoutMs: 10_000, eventTimeoutMs: 10_000 };
const relaxedCeiling = { ...LIMIT_PROFILES.generous, ...relaxed };

describe('leaks', () => {
  it(
    `${CYCLES} load/render/event/dispose cycles (with failures among them) leave nothing allocated`,
    async () => {
      const modules: QuickJSWASMModule[] = [];
      // The unoptimized debug build evaluates a plugin in ~160 ms: everything gets room.
      const runtime = await createRuntime({
        variant: debugVariant,
        onModule: (m) => modules.push(m),
        limitsCeiling: relaxedCeiling,
      });
      const failing = [
        armedPlugin('render', ATTACKS.infiniteLoop),
        armedPlugin('render', 'throw new Error("x")'),
        returning('{ kind: "text", text: Symbol("s") }'),
        armedPlugin('handler', ATTACKS.microtaskLoop),
      ];
      let failures = 0;
      for (let i = 0; i < CYCLES; i++) {
        const pluginId = `p${i % 7}`;
        if (i % 50 === 25) {
          // Every kind of failed call must free what it allocated too.
          const code = failing[((i / 50) % failing.length) | 0]!;
          await runtime.loadPlugin({
            pluginId,
            code,
            limits: { loadTimeoutMs: 10_000, renderTimeoutMs: 5, eventTimeoutMs: 5 },
          });
          const call =
            code === failing[3]
              ? runtime.event({
                  pluginId,
                  widgetId: 'main',
                  handler: 'go',
                  event: { name: 'click' },
                  pluginState: { attack: true },
                  globalState: {},
                })
              : runtime.render({
                  pluginId,
                  widgetId: 'main',
                  pluginState: { attack: true },
                  globalState: {},
                });
          await call.then(
            () => undefined,
            () => failures++,
          );
          await runtime.disposePlugin({ pluginId });
          continue;
        }
        await runtime.loadPlugin({
          pluginId,
          code: counter,
          limits: relaxed,
        });
        await runtime.render({ pluginId, widgetId: 'main', pluginState: { count: i }, globalState: {} });
        const result = await runtime.event({
          pluginId,
          widgetId: 'main',
          handler: 'inc',
          event: { name: 'click' },
          pluginState: { count: i },
          globalState: {},
        });
        expect(result.pluginState).toEqual({ count: i + 1 });
        await runtime.disposePlugin({ pluginId });
      }
      expect(failures).toBe(Math.floor((CYCLES + 25) / 50));
      expect(modules).toHaveLength(1); // no engine replacement hid anything
      expect((await runtime.health()).plugins).toEqual([]);
      new TestQuickJSWASMModule(modules[0]!).assertNoMemoryAllocated();
      runtime.dispose();
    },
    120_000 + CYCLES * 500,
  );

  it('10,000 release-build cycles: the heap stops growing after warm-up', async () => {
    const runtime = await createRuntime({ variant: releaseVariant, limitsCeiling: relaxedCeiling });
    const cycle = async (i: number) => {
      const pluginId = `c${i % 7}`;
      await runtime.loadPlugin({ pluginId, code: counter, limits: relaxed });
      await runtime.render({ pluginId, widgetId: 'main', pluginState: { count: i }, globalState: {} });
      await runtime.event({
        pluginId,
        widgetId: 'main',
        handler: 'inc',
        event: { name: 'click' },
        pluginState: { count: i },
        globalState: {},
      });
      await runtime.disposePlugin({ pluginId });
    };
    for (let i = 0; i < 1000; i++) await cycle(i);
    const warm = (await runtime.health()).heapBytes;
    for (let i = 1000; i < 10_000; i++) await cycle(i);
    // A leak of even 7 bytes a cycle would add a 64 KiB page over these 9,000 cycles.
    expect((await runtime.health()).heapBytes).toBe(warm);
    runtime.dispose();
  }, 300_000);

  it('disposing plugins returns their memory: reloading as many again does not grow the heap', async () => {
    const runtime = await createRuntime({ variant: releaseVariant, limitsCeiling: relaxedCeiling });
    const heaps: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 200; i++) {
        await runtime.loadPlugin({ pluginId: `t${i}`, code: todo50, limits: relaxed });
        await runtime.render({
          pluginId: `t${i}`,
          widgetId: 'main',
          pluginState: todo50State,
          globalState: {},
        });
      }
      heaps.push((await runtime.health()).heapBytes);
      for (let i = 0; i < 200; i++) await runtime.disposePlugin({ pluginId: `t${i}` });
    }
    // The allocator settles after one reload (fragmentation: one or two of Emscripten's 20%
    // growth steps, measured), then reuses exactly that heap round after round.
    expect(heaps[3]).toBe(heaps[1]);
    expect(heaps[2]).toBe(heaps[1]);
    expect(heaps[1]! / heaps[0]!).toBeLessThan(2);
    runtime.dispose();
  }, 120_000);
});
