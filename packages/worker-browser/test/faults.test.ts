/**
 * Faults only a real worker has, in Chromium: a call the QuickJS interrupt cannot stop is ended
 * by `worker.terminate()`, its replacement comes from the hot spare, loads plugins on their next
 * call and neither fetches nor compiles the .wasm again, and a worker that cannot boot is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { CorralError } from '@corral/contracts';
import { armedPlugin, createFakeClock } from '@corral/core/testing';
import { createBrowserSandbox, type BrowserSandbox } from '@corral/worker-browser';
import { internals } from '../src/createBrowserSandbox.js';

const { counter } = await commands.corralFixtures();
/** The default profile's render deadline, and the client's default grace. */
const DEFAULT_MS = 50;
const GRACE_MS = 250;
/**
 * Normalizing a 100,000-mark combining run: seconds of native work that never reaches the
 * interrupt handler, so only a kill stops it (core's README, "Long native built-ins").
 */
const UNINTERRUPTIBLE = '("a" + "\\u0301\\u0323".repeat(5e4)).normalize("NFD");';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
async function settle(start: () => Promise<unknown>) {
  const started = performance.now();
  try {
    return { ok: true, value: await start(), ms: performance.now() - started };
  } catch (error) {
    const e = CorralError.fromUnknown(error);
    return { ok: false, code: e.code, details: e.details, ms: performance.now() - started };
  }
}
const inc = (sandbox: BrowserSandbox, pluginId: string, count: number) =>
  sandbox.event({
    pluginId,
    widgetId: 'main',
    handler: 'inc',
    event: { name: 'click' },
    pluginState: { count },
    globalState: {},
  });

describe('browser worker faults', () => {
  let sandbox: BrowserSandbox | null = null;
  afterEach(async () => {
    const closing = sandbox;
    sandbox = null;
    if (!closing) return;
    await closing.close();
    expect(internals.get(closing)!.workers()).toBe(0);
  });

  it('a call the interrupt cannot stop is terminated at deadline + grace; the call behind it is answered by the spare, no .wasm fetched again', async () => {
    const before = (await commands.wasmRequests()).length;
    // The watchdog runs on a fake clock: the kill is checked to the millisecond, however busy
    // the machine is. Workers, QuickJS and the search that never polls are real.
    const clock = createFakeClock();
    sandbox = await createBrowserSandbox({ poolSize: 1, graceMs: GRACE_MS, clock });
    // One fetch per sandbox, however many workers boot.
    expect((await commands.wasmRequests()).length).toBe(before + 1);
    await sandbox.loadPlugin({ pluginId: 'stuck', code: armedPlugin('render', UNINTERRUPTIBLE) });
    await sandbox.loadPlugin({ pluginId: 'counter', code: counter });
    const hooks = internals.get(sandbox)!;
    let count = 5;
    // The spare boots at the pool's first idle moment, on the pool's (fake) clock.
    await clock.advance(1_000);
    await until(() => hooks.pool.spareReady());
    const stuck = settle(() =>
      sandbox!.render({
        pluginId: 'stuck',
        widgetId: 'main',
        pluginState: { attack: true },
        globalState: {},
      }),
    );
    let stuckDone = false;
    void stuck.then(() => (stuckDone = true));
    const queued = inc(sandbox, 'counter', count);
    await clock.advance(DEFAULT_MS + GRACE_MS);
    expect(stuckDone).toBe(false);
    await clock.advance(1);
    // The watchdog's error, not the runtime's: the in-VM interrupt never fired.
    expect(await stuck).toMatchObject({ ok: false, code: 'LIMIT_TIME', details: { killed: true } });
    // The event behind it never started on the killed worker: the replacement runs it, after
    // loading the counter from its cached code. The caller sees no error.
    expect((await queued).pluginState).toEqual({ count: count + 1 });
    expect(sandbox.restarts()).toBe(1);
    count++;

    // From now on the plugin runs on the pool's isolation lane: its next kill stops nothing else.
    expect(hooks.pool.isolated('stuck')).toBe(true);
    const again = settle(() =>
      sandbox!.render({
        pluginId: 'stuck',
        widgetId: 'main',
        pluginState: { attack: true },
        globalState: {},
      }),
    );
    let againDone = false;
    void again.then(() => (againDone = true));
    for (let i = 0; i < 3; i++) {
      expect((await inc(sandbox, 'counter', count)).pluginState).toEqual({ count: count + 1 });
      count++;
    }
    expect(againDone).toBe(false);
    // Fake time moves in steps until the lane's watchdog fires (its worker boots in real time).
    while (!againDone) {
      await clock.advance(25);
      await sleep(5);
    }
    expect(await again).toMatchObject({ ok: false, code: 'LIMIT_TIME', details: { killed: true } });
    expect((await inc(sandbox, 'counter', count)).pluginState).toEqual({ count: count + 1 });
    await until(() => sandbox!.restarts() === 2);
    // The lane's replacement loads it on its next call, which works.
    expect(
      (
        await sandbox.render({
          pluginId: 'stuck',
          widgetId: 'main',
          pluginState: { attack: false },
          globalState: {},
        })
      ).tree,
    ).toEqual({ kind: 'text', text: 'ok' });
    const health = await sandbox.health();
    expect(health.plugins.map((p) => p.pluginId).sort()).toEqual(['counter', 'stuck']);
    expect(health.source).toBe('browser-worker');
    expect(hooks.pool.boots()).toBeGreaterThanOrEqual(4);
    expect((await commands.wasmRequests()).length).toBe(before + 1);
  });

  it('a worker that ends between calls is replaced, with its plugins, before the next call', async () => {
    sandbox = await createBrowserSandbox({ poolSize: 2 });
    await sandbox.loadPlugin({ pluginId: 'a', code: counter });
    await sandbox.loadPlugin({ pluginId: 'b', code: counter });
    const hooks = internals.get(sandbox)!;
    expect(hooks.pool.linkOf('a')).not.toBe(hooks.pool.linkOf('b'));
    await hooks.pool.linkOf('a')!.transport.close!();
    await until(() => sandbox!.restarts() === 1);
    const [a, b] = await Promise.all([inc(sandbox, 'a', 1), inc(sandbox, 'b', 7)]);
    expect(a.pluginState).toEqual({ count: 2 });
    expect(b.pluginState).toEqual({ count: 8 });
  });

  it('a worker that cannot boot: bounded attempts, calls fail WORKER_CRASHED fast, no respawn loop', async () => {
    // The engine is checked only inside the worker, so every boot throws there (its `error` event).
    const wasm = await WebAssembly.compileStreaming(
      fetch(new URL('@jitl/quickjs-wasmfile-release-sync/wasm', import.meta.url)),
    );
    sandbox = await createBrowserSandbox({ poolSize: 2, engine: 'no-such-engine' as never, wasm });
    const hooks = internals.get(sandbox)!;
    expect(await settle(() => sandbox!.loadPlugin({ pluginId: 'x', code: counter }))).toMatchObject({
      ok: false,
      code: 'WORKER_CRASHED',
    });
    expect(await settle(() => sandbox!.health())).toMatchObject({ ok: false, code: 'WORKER_CRASHED' });
    const boots = hooks.pool.boots();
    expect(boots).toBeLessThanOrEqual(2 * (1 + 3) + 1);
    // The spare may still make its one attempt after the members gave up; then nothing more.
    await sleep(1_000);
    const later = hooks.pool.boots();
    expect(later).toBeLessThanOrEqual(2 * (1 + 3) + 1);
    await sleep(1_000);
    expect(hooks.pool.boots()).toBe(later);
    expect(hooks.workers()).toBe(0);
  });

  it('raised no CSP violation in the page or any worker', async () => {
    expect(await commands.cspReports()).toEqual([]);
  });
});
