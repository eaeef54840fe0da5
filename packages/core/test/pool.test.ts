/**
 * createSandboxPool (the pool worker hosts run their workers in), with real in-process sandboxes
 * as members. Routing: a new plugin goes to the least-loaded member and stays; ids it never saw
 * answer as one sandbox would; failed loads, merged health, fanned-in diagnostics, close.
 * Spreading: a cheap plugin whose calls pile up is served by more than one member; a slow one, a
 * failing one, a reloaded or disposed one lives on its home member alone.
 *
 * The pool's clock is a fake one where the test is about the policy: no time passes during a
 * call, so every call measures cheap whatever the machine is doing, and the cool-down after a
 * failure is stepped through, not slept. A slow plugin is one whose member's renders take
 * fake time.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CorralError, type Diagnostic } from '@corral/contracts';
import {
  createFailureLedger,
  createInProcessSandbox,
  createSandboxPool,
  type FailureLedger,
  type SandboxClient,
  type SandboxPool,
} from '@corral/core';
import { armedPlugin, createFakeClock, type FakeClock } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();
const render = (p: SandboxPool, pluginId: string, pluginState: unknown = { count: 1 }) =>
  p.render({ pluginId, widgetId: 'main', pluginState: pluginState as never, globalState: {} });

/** Fire `n` renders at once and wait for all of them. */
const burst = (p: SandboxPool, pluginId: string, n: number, pluginState?: unknown) =>
  Promise.all(Array.from({ length: n }, () => render(p, pluginId, pluginState)));

/** A member whose renders take `ms` more on `clock` (the work of a slow plugin, in fake time). */
function takingTime(member: SandboxClient, clock: FakeClock, ms: number): SandboxClient {
  return new Proxy(member, {
    get(target, key) {
      if (key === 'render')
        return async (params: Parameters<SandboxClient['render']>[0]) => {
          const result = await target.render(params);
          await clock.advance(ms);
          return result;
        };
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** Let real work (a replica loading into an in-process member) finish: the pool goes idle. */
async function idle(p: SandboxPool, clock: FakeClock): Promise<void> {
  for (let i = 0; i < 200 && p.queueDepth() > 0; i++) await clock.settle();
  if (p.queueDepth() > 0) throw new Error('the pool never went idle');
}

/** One burst spreads a plugin whose calls measure cheap (on the fake clock, all of them do). */
async function burstAndSpread(
  p: SandboxPool,
  clock: FakeClock,
  pluginId: string,
  n: number,
  pluginState?: unknown,
) {
  const trees = await burst(p, pluginId, n, pluginState);
  await idle(p, clock);
  if (p.replicasOf(pluginId).length < 2) throw new Error(`a burst of ${n} did not spread ${pluginId}`);
  return trees;
}

describe('createSandboxPool spreads hot plugins', () => {
  let pool: SandboxPool | null = null;
  let members: SandboxClient[] = [];
  let clock: FakeClock;
  const served = [0, 0, 0];
  const loads = [0, 0, 0];
  const open = async (n: number, options: Parameters<typeof createSandboxPool>[1] = {}, renderMs = 0) => {
    members = await Promise.all(
      Array.from({ length: n }, () => createInProcessSandbox({ variant: quickjs })),
    );
    served.fill(0);
    loads.fill(0);
    members.forEach((m, i) =>
      m.onDiagnostic((d: Diagnostic) => {
        if (d.kind === 'call' && d.op === 'render') served[i]!++;
        if (d.kind === 'call' && d.op === 'loadPlugin') loads[i]!++;
      }),
    );
    clock = createFakeClock();
    const timed = renderMs === 0 ? members : members.map((m) => takingTime(m, clock, renderMs));
    return (pool = createSandboxPool(timed, { clock, ...options }));
  };
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('a cheap plugin whose calls pile up is loaded into another member, and both serve it', async () => {
    const p = await open(2);
    await p.loadPlugin({ pluginId: 'hot', code: counter });
    for (let i = 0; i < 3; i++) await render(p, 'hot'); // one at a time: measured cheap, not spread
    expect(p.replicasOf('hot')).toEqual([0]);
    await burstAndSpread(p, clock, 'hot', 6);
    expect(p.replicasOf('hot')).toHaveLength(2);
    expect(p.memberOf('hot')).toBe(0);
    served.fill(0);
    const trees = await burst(p, 'hot', 20, { count: 7 });
    for (const { tree } of trees) expect(JSON.stringify(tree)).toContain('Count: 7');
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
    // Listed once, as its home member reports it.
    expect((await p.health()).plugins.filter((x) => x.pluginId === 'hot')).toHaveLength(1);
  });

  it('a plugin whose calls are slow stays on its home member', async () => {
    // Each render takes 10 ms on the pool's clock: more than the 5 ms a spreading plugin may cost.
    const p = await open(2, { replicateMaxCallMs: 5 }, 10);
    await p.loadPlugin({ pluginId: 'slow', code: counter });
    await render(p, 'slow');
    await burst(p, 'slow', 6);
    await idle(p, clock);
    expect(p.replicasOf('slow')).toEqual([0]);
    expect(served[1]).toBe(0);
    expect(loads[1]).toBe(0);
  });

  it('a failure collapses a spread plugin to its home member, which it stays on for the cool-down', async () => {
    const p = await open(2, { replicateCooldownMs: 60_000 });
    await p.loadPlugin({ pluginId: 'flaky', code: armedPlugin('render', 'throw new Error("no");') });
    await render(p, 'flaky', { attack: false });
    await burstAndSpread(p, clock, 'flaky', 6, { attack: false });
    const failure = await render(p, 'flaky', { attack: true }).catch((e: unknown) => e);
    expect(CorralError.fromUnknown(failure).code).toBe('PLUGIN_THREW');
    expect(p.replicasOf('flaky')).toEqual([0]);
    await idle(p, clock);
    // The replica's runtime was disposed on the member that held it.
    expect((await members[1]!.health()).plugins.map((x) => x.pluginId)).not.toContain('flaky');
    const loadsBefore = loads[1];
    await clock.advance(59_999);
    await burst(p, 'flaky', 6, { attack: false });
    await idle(p, clock);
    expect(p.replicasOf('flaky')).toEqual([0]);
    expect(loads[1]).toBe(loadsBefore); // not even a replica load was started
    await clock.advance(1);
    await burstAndSpread(p, clock, 'flaky', 6, { attack: false });
    expect(p.replicasOf('flaky')).toEqual([0, 1]);
  });

  it('a reload and a dispose reach every member that holds the plugin', async () => {
    const p = await open(3);
    await p.loadPlugin({ pluginId: 'hot', code: counter });
    await render(p, 'hot');
    await burstAndSpread(p, clock, 'hot', 9);
    const changed = counter.replace('"Count: "', '"Total: "');
    await p.loadPlugin({ pluginId: 'hot', code: changed });
    expect(p.replicasOf('hot')).toEqual([0]);
    const trees = await burstAndSpread(p, clock, 'hot', 9, { count: 2 });
    for (const { tree } of trees) expect(JSON.stringify(tree)).toContain('Total: 2');
    await p.disposePlugin({ pluginId: 'hot' });
    expect(p.replicasOf('hot')).toEqual([]);
    await idle(p, clock);
    for (const m of members) expect((await m.health()).plugins.map((x) => x.pluginId)).not.toContain('hot');
  });
});

const state = (count: number) => ({ pluginState: { count }, globalState: {} });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return CorralError.fromUnknown(error).code;
  }
}

describe('createSandboxPool', () => {
  let pool: SandboxPool | null = null;
  let members: SandboxClient[] = [];
  let closes = 0;
  const open = async (n: number) => {
    members = await Promise.all(
      Array.from({ length: n }, () => createInProcessSandbox({ variant: quickjs })),
    );
    return (pool = createSandboxPool(members, { onClose: () => void closes++ }));
  };
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('assigns each new plugin to the least-loaded member and keeps it there', async () => {
    const p = await open(2);
    await Promise.all(['a', 'b', 'c', 'd'].map((pluginId) => p.loadPlugin({ pluginId, code: counter })));
    expect(['a', 'b', 'c', 'd'].map((id) => p.memberOf(id))).toEqual([0, 1, 0, 1]);
    await p.loadPlugin({ pluginId: 'c', code: counter }); // a reload stays where it is
    expect(p.memberOf('c')).toBe(0);
    const health = await p.health();
    expect(health.plugins.map((x) => x.pluginId).sort()).toEqual(['a', 'b', 'c', 'd']);
    const out = await p.event({
      pluginId: 'd',
      widgetId: 'main',
      handler: 'inc',
      event: { name: 'click' },
      ...state(1),
    });
    expect(out.pluginState).toEqual({ count: 2 });
  });

  it('answers ids it never saw like a single sandbox would', async () => {
    const p = await open(2);
    expect(await codeOf(p.render({ pluginId: 'nope', widgetId: 'main', ...state(1) }))).toBe(
      'UNKNOWN_PLUGIN',
    );
    expect(await codeOf(p.render({ pluginId: 'nope' } as never))).toBe('INVALID_REQUEST');
    expect(await codeOf(p.loadPlugin({ code: counter } as never))).toBe('INVALID_REQUEST');
    expect(await codeOf(p.disposePlugin({ pluginId: 'nope' }))).toBe('UNKNOWN_PLUGIN');
  });

  it('a failed first load does not stick; a failed reload keeps the plugin where it was', async () => {
    const p = await open(2);
    await p.loadPlugin({ pluginId: 'a', code: counter });
    expect(await codeOf(p.loadPlugin({ pluginId: 'broken', code: 'definePlugin({' }))).toBe('LOAD_FAILED');
    expect(p.memberOf('broken')).toBe(undefined);
    await p.loadPlugin({ pluginId: 'b', code: counter });
    expect(p.memberOf('b')).toBe(1); // the failed load did not count against member 1
    expect(await codeOf(p.loadPlugin({ pluginId: 'a', code: 'definePlugin({' }))).toBe('LOAD_FAILED');
    expect(p.memberOf('a')).toBe(0);
    expect(await codeOf(p.render({ pluginId: 'a', widgetId: 'main', ...state(3) }))).toBe('ok');
  });

  it('disposing a plugin frees its place', async () => {
    const p = await open(2);
    await p.loadPlugin({ pluginId: 'a', code: counter });
    await p.loadPlugin({ pluginId: 'b', code: counter });
    await p.disposePlugin({ pluginId: 'a' });
    expect(p.memberOf('a')).toBe(undefined);
    await p.loadPlugin({ pluginId: 'c', code: counter });
    expect(p.memberOf('c')).toBe(0);
  });

  it('merges health and fans in diagnostics from every member', async () => {
    const p = await open(3);
    const seen: Diagnostic[] = [];
    const off = p.onDiagnostic((d) => seen.push(d));
    for (const pluginId of ['a', 'b', 'c']) await p.loadPlugin({ pluginId, code: counter });
    const health = await p.health();
    const each = await Promise.all(members.map((m) => m.health()));
    expect(health.heapBytes).toBe(each.reduce((sum, h) => sum + h.heapBytes, 0));
    expect(health.moduleRestarts).toBe(0);
    expect(health.plugins).toHaveLength(3);
    for (const pluginId of ['a', 'b', 'c']) {
      await p.render({ pluginId, widgetId: 'main', ...state(1) });
    }
    await new Promise((r) => setTimeout(r, 10));
    const renders = seen.filter((d) => d.kind === 'call' && d.op === 'render').map((d) => d.pluginId);
    expect(renders.sort()).toEqual(['a', 'b', 'c']);
    off();
    await p.render({ pluginId: 'a', widgetId: 'main', ...state(1) });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.filter((d) => d.kind === 'call' && d.op === 'render')).toHaveLength(3);
  });

  it('counts calls in flight, and closes every member once', async () => {
    const p = await open(2);
    await p.loadPlugin({ pluginId: 'a', code: counter });
    const calls = [1, 2, 3].map((n) => p.render({ pluginId: 'a', widgetId: 'main', ...state(n) }));
    expect(p.queueDepth()).toBe(3);
    await Promise.all(calls);
    expect(p.queueDepth()).toBe(0);
    closes = 0;
    await Promise.all([p.close(), p.close()]);
    expect(closes).toBe(1);
    expect(await codeOf(p.render({ pluginId: 'a', widgetId: 'main', ...state(1) }))).toBe('OVERLOADED');
  });
});

describe('createSandboxPool isolates a plugin that forced a kill', () => {
  /**
   * In-process members cannot be killed, so a member here plays the supervised client's part for
   * a plugin armed to "kill": it charges the shared ledger and fails LIMIT_TIME `{ killed }`, as
   * a worker's client does after the watchdog killed its thread. The rest is real.
   */
  function killing(
    member: SandboxClient,
    ledger: FailureLedger,
    seen: string[],
    name: string,
  ): SandboxClient {
    return new Proxy(member, {
      get(target, key) {
        if (key === 'render')
          return async (params: Parameters<SandboxClient['render']>[0]) => {
            seen.push(`${name}:${params.pluginId}`);
            if ((params.pluginState as { kill?: boolean } | null)?.kill) {
              const error = new CorralError('LIMIT_TIME', 'killed', { killed: true });
              ledger.charge(params.pluginId, error);
              throw error;
            }
            return target.render(params);
          };
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }

  let pool: SandboxPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('runs it on a lane of its own while its kills are recent, then back home with the code it was last loaded with', async () => {
    const clock = createFakeClock();
    const ledger = createFailureLedger(clock);
    const seen: string[] = [];
    const home = killing(await createInProcessSandbox({ variant: quickjs }), ledger, seen, 'home');
    let laneStarts = 0;
    const start = async () => {
      laneStarts++;
      return killing(await createInProcessSandbox({ variant: quickjs }), ledger, seen, 'lane');
    };
    const p = (pool = createSandboxPool([home], { isolation: { ledger, start } }));
    await p.loadPlugin({ pluginId: 'hostile', code: counter });
    await p.loadPlugin({ pluginId: 'benign', code: counter });
    expect(laneStarts).toBe(0);
    await expect(render(p, 'hostile', { count: 1, kill: true })).rejects.toMatchObject({
      code: 'LIMIT_TIME',
    });
    expect(p.isolated('hostile')).toBe(true);
    seen.length = 0;
    await render(p, 'hostile');
    await render(p, 'benign');
    expect(seen).toEqual(['lane:hostile', 'home:benign']);
    expect(laneStarts).toBe(1);
    // Health lists it once, as the lane reports it.
    expect((await p.health()).plugins.map((x) => x.pluginId).sort()).toEqual(['benign', 'hostile']);
    // Its caller re-loads it with new code: the lane gets it now, home only once it is back.
    const text = (title: string) =>
      `definePlugin({ widgets: { main: { render: function () { return { kind: "text", text: "${title}" }; } } } })`;
    await p.loadPlugin({ pluginId: 'hostile', code: text('v2') });
    expect((await render(p, 'hostile')).tree).toEqual({ kind: 'text', text: 'v2' });
    seen.length = 0;
    await clock.advance(60_000); // past the window: its kill is no longer recent
    expect(p.isolated('hostile')).toBe(false);
    expect((await render(p, 'hostile')).tree).toEqual({ kind: 'text', text: 'v2' });
    expect(seen).toEqual(['home:hostile']);
  });

  it('a lane that cannot start fails the isolated plugin, not its neighbours, and is tried again', async () => {
    const clock = createFakeClock();
    const ledger = createFailureLedger(clock);
    const home = killing(await createInProcessSandbox({ variant: quickjs }), ledger, [], 'home');
    let attempts = 0;
    const start = async (): Promise<SandboxClient> => {
      attempts++;
      throw new CorralError('WORKER_CRASHED', 'no worker');
    };
    const p = (pool = createSandboxPool([home], { isolation: { ledger, start } }));
    await p.loadPlugin({ pluginId: 'hostile', code: counter });
    await p.loadPlugin({ pluginId: 'benign', code: counter });
    await expect(render(p, 'hostile', { count: 1, kill: true })).rejects.toMatchObject({
      code: 'LIMIT_TIME',
    });
    await expect(render(p, 'hostile')).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect((await render(p, 'benign')).tree).toBeTruthy();
    await expect(render(p, 'hostile')).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(attempts).toBe(2);
  });
});
