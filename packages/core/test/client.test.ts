/**
 * The client's own logic — ids, deadlines, supervision, backoff — against a scripted other side,
 * on a fake clock: every deadline, grace period and cool-down is checked to the millisecond and
 * none is slept through. The real runtime behind real transports is covered by the conformance
 * suite in every host.
 */
import { describe, expect, it } from 'vitest';
import { LIMIT_PROFILES, type RpcRequest, type RpcResponse } from '@corral/contracts';
import {
  createInProcessTransportPair,
  createSandboxClient,
  type Supervisor,
  type Transport,
} from '@corral/core';
import { createFakeClock } from '@corral/core/testing';

type Behaviour = (request: RpcRequest) => RpcResponse | 'hang' | Promise<RpcResponse>;

/** A scripted worker: answers requests with `behaviour`, records what it saw. */
function scriptedWorker(behaviour: Behaviour) {
  const [clientSide, workerSide] = createInProcessTransportPair();
  const seen: RpcRequest[] = [];
  let alive = true;
  workerSide.on(async (message) => {
    if (!alive) return;
    const request = message as RpcRequest;
    seen.push(request);
    const response = await behaviour(request);
    if (response !== 'hang' && alive) workerSide.post(response);
  });
  return {
    transport: clientSide,
    seen,
    kill() {
      alive = false;
      clientSide.close!();
    },
  };
}

const ok = (request: RpcRequest, result: unknown = null): RpcResponse =>
  ({ id: request.id, ok: true, result }) as RpcResponse;
const meta = (request: RpcRequest) =>
  ok(request, {
    pluginId: (request.params as { pluginId: string }).pluginId,
    title: 't',
    widgets: [{ id: 'main', title: 'm' }],
    handlers: [],
    reducers: [],
    initialState: null,
  });
const renderParams = (pluginId = 'p') => ({ pluginId, widgetId: 'main', pluginState: {}, globalState: {} });
const tree = { tree: { kind: 'divider' }, diagnostics: [] };

/** Whether a promise has settled yet, and how (without waiting for it). */
function watch(promise: Promise<unknown>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('SandboxClient', () => {
  it('correlates concurrent responses by id, in any order', async () => {
    const clock = createFakeClock();
    const worker = scriptedWorker(async (req) => {
      if (req.op !== 'render') return meta(req);
      const n = (req.params as unknown as { pluginState: { n: number } }).pluginState.n;
      await new Promise((r) => clock.setTimeout(() => r(undefined), 30 - n * 10));
      return ok(req, { tree: { kind: 'text', text: String(n) }, diagnostics: [] });
    });
    const client = createSandboxClient(worker.transport, { clock });
    const calls = Promise.all([0, 1, 2].map((n) => client.render({ ...renderParams(), pluginState: { n } })));
    await clock.advance(30);
    const results = await calls;
    expect(results.map((r) => (r.tree as { text: string }).text)).toEqual(['0', '1', '2']);
    expect(new Set(worker.seen.map((r) => r.id)).size).toBe(3);
    await client.close();
  });

  it('rejects every pending call with WORKER_CRASHED when the transport dies', async () => {
    const clock = createFakeClock();
    const worker = scriptedWorker(() => 'hang');
    const client = createSandboxClient(worker.transport, { clock });
    const calls = [client.render(renderParams()), client.health()];
    await clock.settle();
    expect(worker.seen).toHaveLength(2);
    worker.kill();
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
  });

  it('without a supervisor, an overrunning call fails LIMIT_TIME after deadline + grace', async () => {
    const clock = createFakeClock();
    const worker = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : 'hang'));
    const client = createSandboxClient(worker.transport, { graceMs: 20, clock });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 10 } });
    const call = client.render(renderParams());
    const state = watch(call);
    await clock.advance(30); // the deadline plus the grace: not overrun yet
    expect(state.settled).toBe(false);
    await clock.advance(2);
    expect(state.settled).toBe(true);
    await expect(call).rejects.toMatchObject({
      code: 'LIMIT_TIME',
      details: { limitMs: 10, graceMs: 20, killed: false },
    });
    await client.close();
  });

  it('times calls by the limits the other side grants under its ceiling, not the default one', async () => {
    const clock = createFakeClock();
    const worker = scriptedWorker(async (req) => {
      if (req.op === 'loadPlugin') return meta(req);
      await new Promise((r) => clock.setTimeout(() => r(undefined), 500));
      return ok(req, tree);
    });
    const kills: Transport[] = [];
    const supervisor: Supervisor = {
      spawn: () => Promise.reject(new Error('no')),
      kill: (t) => void kills.push(t),
    };
    const limitsCeiling = { ...LIMIT_PROFILES.generous, renderTimeoutMs: 1_000 };
    const client = createSandboxClient(worker.transport, { clock, supervisor, limitsCeiling, graceMs: 10 });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 800 } });
    const call = client.render(renderParams());
    await clock.advance(500);
    expect((await call).tree).toEqual({ kind: 'divider' });
    expect(kills).toEqual([]);
    await client.close();
  });

  it('times the head of the line from the previous answer: a busy, healthy worker is not killed', async () => {
    const clock = createFakeClock();
    let busyUntil = 0;
    const worker = scriptedWorker(async (req) => {
      if (req.op === 'loadPlugin') return meta(req);
      // A serial worker: each call takes 15 ms after the previous one finished.
      const start = Math.max(clock.now(), busyUntil);
      busyUntil = start + 15;
      await new Promise((r) => clock.setTimeout(() => r(undefined), busyUntil - clock.now()));
      return ok(req, tree);
    });
    const kills: Transport[] = [];
    const supervisor: Supervisor = {
      spawn: () => Promise.reject(new Error('no')),
      kill: (t) => void kills.push(t),
    };
    const client = createSandboxClient(worker.transport, { graceMs: 10, supervisor, clock });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 20 } });
    // Ten calls queue for 150 ms in total, far past any one call's 20 + 10 ms.
    const calls = Promise.all(Array.from({ length: 10 }, () => client.render(renderParams())));
    await clock.advance(150);
    const results = await calls;
    expect(results).toHaveLength(10);
    expect(kills).toHaveLength(0);
    await client.close();
  });

  it('with a supervisor: kills the stuck worker, fails only the call it ran, sends the rest to the replacement', async () => {
    const clock = createFakeClock();
    const first = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : 'hang'));
    const second = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : ok(req, tree)));
    const killed: Transport[] = [];
    const restarts: string[] = [];
    const supervisor: Supervisor = { spawn: async () => second.transport, kill: (t) => void killed.push(t) };
    const client = createSandboxClient(first.transport, {
      graceMs: 10,
      supervisor,
      clock,
      onRestart: (r) => restarts.push(r),
    });
    await client.loadPlugin({ pluginId: 'a', code: 'code-a', limits: { renderTimeoutMs: 10 } });
    await client.loadPlugin({ pluginId: 'b', code: 'code-b', profile: 'strict' });
    const stuck = client.render(renderParams('a'));
    const behind = client.render(renderParams('b'));
    watch(stuck);
    watch(behind);
    await clock.advance(19);
    expect(killed).toEqual([]);
    await clock.advance(3);
    await expect(stuck).rejects.toMatchObject({ code: 'LIMIT_TIME', details: { killed: true } });
    // The call queued behind never ran on the stuck worker: the replacement answers it.
    expect((await behind).tree).toEqual({ kind: 'divider' });
    expect(killed).toEqual([first.transport]);
    expect(restarts).toHaveLength(1);
    // Plugins reload into the replacement on their own next call, not all at once.
    const loads = () =>
      second.seen.filter((r) => r.op === 'loadPlugin').map((r) => (r.params as { code: string }).code);
    expect(loads()).toEqual(['code-b']);
    expect((await client.render(renderParams('a'))).tree).toEqual({ kind: 'divider' });
    expect(loads()).toEqual(['code-b', 'code-a']);
    await client.close();
  });

  it('a worker that dies by itself fails the call it ran; the calls behind it go to the replacement', async () => {
    const clock = createFakeClock();
    const first = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : 'hang'));
    const second = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : ok(req, tree)));
    const supervisor: Supervisor = { spawn: async () => second.transport, kill: () => undefined };
    const client = createSandboxClient(first.transport, { supervisor, clock });
    await client.loadPlugin({ pluginId: 'a', code: 'code-a' });
    await client.loadPlugin({ pluginId: 'b', code: 'code-b' });
    const running = client.render(renderParams('a'));
    const behind = [client.render(renderParams('b')), client.health()];
    watch(running);
    await clock.settle();
    first.kill();
    await expect(running).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    const [b] = await Promise.all(behind);
    expect((b as { tree: unknown }).tree).toEqual({ kind: 'divider' });
    await client.close();
  });

  it('a plugin whose calls get its worker killed is refused on the host after 5, without reaching a worker', async () => {
    const clock = createFakeClock();
    const workers: ReturnType<typeof scriptedWorker>[] = [];
    const spawnWorker = () => {
      const worker = scriptedWorker((req) => {
        if (req.op === 'loadPlugin') return meta(req);
        if (req.op === 'health')
          return ok(req, { plugins: [{ pluginId: 'hostile', status: 'ready', recentFailures: 0 }] });
        return (req.params as { pluginId: string }).pluginId === 'hostile' ? 'hang' : ok(req, tree);
      });
      workers.push(worker);
      return worker.transport;
    };
    const supervisor: Supervisor = { spawn: async () => spawnWorker(), kill: () => undefined };
    const client = createSandboxClient(spawnWorker(), { supervisor, clock, graceMs: 10 });
    await client.loadPlugin({ pluginId: 'hostile', code: 'loop', limits: { renderTimeoutMs: 10 } });
    await client.loadPlugin({ pluginId: 'benign', code: 'ok' });
    for (let kill = 1; kill <= 5; kill++) {
      const hostile = client.render(renderParams('hostile'));
      const benign = client.render(renderParams('benign'));
      watch(hostile);
      await clock.advance(25);
      await expect(hostile).rejects.toMatchObject({ code: 'LIMIT_TIME', details: { killed: true } });
      expect((await benign).tree).toEqual({ kind: 'divider' });
    }
    expect(workers).toHaveLength(6);
    const sent = () => workers.reduce((n, w) => n + w.seen.length, 0);
    const before = sent();
    await expect(client.render(renderParams('hostile'))).rejects.toMatchObject({
      code: 'PLUGIN_ERRORED',
      details: { pluginId: 'hostile', recentFailures: 5, recentKills: 5 },
    });
    expect(sent()).toBe(before);
    expect(workers).toHaveLength(6);
    // Health says so, though the worker serving now never saw the plugin fail.
    const health = await client.health();
    expect(health.plugins).toEqual([
      expect.objectContaining({ pluginId: 'hostile', status: 'errored', recentFailures: 5 }),
    ]);
    // Loading it again is how its caller re-enables it, as the runtime's own circuit works.
    await client.loadPlugin({ pluginId: 'hostile', code: 'fixed' });
    expect((await client.render(renderParams('benign'))).tree).toEqual({ kind: 'divider' });
    await client.close();
  });

  it('a worker that says PLUGIN_ERRORED opens the circuit on the host too', async () => {
    const clock = createFakeClock();
    const worker = scriptedWorker((req) => {
      if (req.op === 'loadPlugin') return meta(req);
      const error = {
        code: 'PLUGIN_ERRORED',
        message: 'disabled',
        details: { pluginId: 'p', recentFailures: 5 },
      };
      return { id: req.id, ok: false, error } as RpcResponse;
    });
    const client = createSandboxClient(worker.transport, { clock });
    await client.loadPlugin({ pluginId: 'p', code: 'x' });
    await expect(client.render(renderParams())).rejects.toMatchObject({ code: 'PLUGIN_ERRORED' });
    const seen = worker.seen.length;
    await expect(client.render(renderParams())).rejects.toMatchObject({ code: 'PLUGIN_ERRORED' });
    expect(worker.seen).toHaveLength(seen);
    await client.close();
  });

  it('a replacement holds no plugins until they are called; calls waiting for one plugin share one load', async () => {
    const clock = createFakeClock();
    const first = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : 'hang'));
    const second = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : ok(req, tree)));
    const supervisor: Supervisor = { spawn: async () => second.transport, kill: () => undefined };
    const client = createSandboxClient(first.transport, { supervisor, clock });
    for (let i = 0; i < 250; i++) await client.loadPlugin({ pluginId: `p${i}`, code: `code-${i}` });
    first.kill();
    await client.health();
    expect(second.seen.map((r) => r.op)).toEqual(['health']);
    const calls = await Promise.all([0, 0, 0, 7].map((i) => client.render(renderParams(`p${i}`))));
    expect(calls).toHaveLength(4);
    expect(
      second.seen.filter((r) => r.op === 'loadPlugin').map((r) => (r.params as { code: string }).code),
    ).toEqual(['code-0', 'code-7']);
    await client.close();
  });

  it('does not loop when replacements die while booting, and tries again after the cool-down', async () => {
    const clock = createFakeClock();
    const spawnedAt: number[] = [];
    const supervisor: Supervisor = {
      spawn: async () => {
        spawnedAt.push(clock.now());
        throw new Error('boot failed');
      },
      kill: () => undefined,
      maxBootFailures: 3,
      cooldownMs: 600,
    };
    const worker = scriptedWorker((req) => meta(req));
    const client = createSandboxClient(worker.transport, { supervisor, clock });
    worker.kill();
    await clock.advance(300);
    // Backing off 40 then 80 ms, and giving up after the third failure.
    expect(spawnedAt).toEqual([0, 40, 120]);
    // Within the cool-down a call fails at once, without waiting for time or trying to boot.
    const during = watch(client.health());
    await clock.settle();
    expect(during.settled).toBe(true);
    expect(during.error).toMatchObject({ code: 'WORKER_CRASHED' });
    expect(spawnedAt).toHaveLength(3);
    await clock.advance(719 - clock.now()); // the cool-down runs from the third failure, at 120
    await expect(client.health()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(spawnedAt).toHaveLength(3);
    await clock.advance(1);
    // One more attempt after the cool-down, not a new loop.
    await expect(client.health()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(spawnedAt).toEqual([0, 40, 120, 720]);
    await clock.advance(10_000);
    expect(spawnedAt).toHaveLength(4);
    await client.close();
  });

  it('re-sends cached code and retries once when the other side lost the plugin', async () => {
    let holds = false;
    const worker = scriptedWorker((req) => {
      if (req.op === 'loadPlugin') {
        holds = true;
        return meta(req);
      }
      if (!holds) return { id: req.id, ok: false, error: { code: 'UNKNOWN_PLUGIN', message: 'evicted' } };
      return ok(req, tree);
    });
    const client = createSandboxClient(worker.transport);
    await client.loadPlugin({ pluginId: 'p', code: 'the code' });
    holds = false; // e.g. an LRU eviction or another replica
    expect((await client.render(renderParams())).tree).toEqual({ kind: 'divider' });
    expect(worker.seen.map((r) => r.op)).toEqual(['loadPlugin', 'render', 'loadPlugin', 'render']);
    await client.close();
  });

  it('rejects calls after close', async () => {
    const worker = scriptedWorker((req) => meta(req));
    const client = createSandboxClient(worker.transport);
    await client[Symbol.asyncDispose]();
    await expect(client.health()).rejects.toMatchObject({ code: 'OVERLOADED' });
  });
});

describe('SandboxClient cancellation', () => {
  const looping = (req: RpcRequest) => (req.op === 'loadPlugin' ? meta(req) : ('hang' as const));

  it('a call whose signal already fired fails CANCELLED and sends nothing', async () => {
    const worker = scriptedWorker(looping);
    const client = createSandboxClient(worker.transport, { clock: createFakeClock() });
    await expect(client.health({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
      details: { op: 'health', recycled: false },
    });
    expect(worker.seen).toHaveLength(0);
    await client.close();
  });

  it('aborting the running call settles it at once, recycles the worker and re-sends the calls behind it', async () => {
    const clock = createFakeClock();
    const first = scriptedWorker(looping);
    const second = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : ok(req, tree)));
    const killed: Transport[] = [];
    const restarts: string[] = [];
    const supervisor: Supervisor = { spawn: async () => second.transport, kill: (t) => void killed.push(t) };
    const client = createSandboxClient(first.transport, {
      supervisor,
      clock,
      onRestart: (r) => restarts.push(r),
    });
    await client.loadPlugin({ pluginId: 'a', code: 'code-a' });
    const controller = new AbortController();
    const running = watch(client.render(renderParams('a'), { signal: controller.signal }));
    const behind = client.render(renderParams('a'));
    await clock.settle();
    controller.abort('stop button');
    // Settled by the abort itself: no time passes, no answer is waited for.
    await clock.settle();
    expect(running.settled).toBe(true);
    expect(running.error).toMatchObject({
      code: 'CANCELLED',
      details: { op: 'render', recycled: true, reason: 'stop button' },
    });
    expect(killed).toEqual([first.transport]);
    // The call queued behind it is not failed: it is answered by the replacement.
    expect((await behind).tree).toEqual({ kind: 'divider' });
    expect(second.seen.map((r) => r.op)).toEqual(['loadPlugin', 'render']);
    expect(restarts).toEqual(['render was cancelled']);
    expect(clock.now()).toBe(0);
    await client.close();
  });

  it('aborting a queued call settles it and kills nothing; the line is still timed as it runs', async () => {
    const clock = createFakeClock();
    let busyUntil = 0;
    const worker = scriptedWorker(async (req) => {
      if (req.op === 'loadPlugin') return meta(req);
      // A serial worker, 25 ms per call (within 20 + 10 ms): it still runs the cancelled call.
      const start = Math.max(clock.now(), busyUntil);
      busyUntil = start + 25;
      await new Promise((r) => clock.setTimeout(() => r(undefined), busyUntil - clock.now()));
      return ok(req, tree);
    });
    const killed: Transport[] = [];
    const supervisor: Supervisor = {
      spawn: () => Promise.reject(new Error('no')),
      kill: (t) => void killed.push(t),
    };
    const client = createSandboxClient(worker.transport, { graceMs: 10, supervisor, clock });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 20 } });
    const controller = new AbortController();
    const head = client.render(renderParams());
    const queued = watch(client.render(renderParams(), { signal: controller.signal }));
    const last = client.render(renderParams());
    await clock.settle();
    controller.abort();
    await clock.settle();
    expect(queued.error).toMatchObject({ code: 'CANCELLED', details: { recycled: false } });
    // The last call runs from 50 to 75 ms, after the cancelled one: timed from the head's
    // answer (25 ms) instead, it would overrun its 20 + 10 ms at 55 and the worker be killed.
    await clock.advance(75);
    expect((await head).tree).toEqual({ kind: 'divider' });
    expect((await last).tree).toEqual({ kind: 'divider' });
    expect(killed).toEqual([]);
    expect(worker.seen.filter((r) => r.op === 'render')).toHaveLength(3);
    await client.close();
  });

  it('a transport that takes a request back is asked to, and nothing is killed', async () => {
    const clock = createFakeClock();
    const worker = scriptedWorker(looping);
    const cancelled: number[] = [];
    const transport = Object.assign(worker.transport, {
      cancel: (id: number) => cancelled.push(id) > 0,
    });
    const killed: Transport[] = [];
    const supervisor: Supervisor = {
      spawn: () => Promise.reject(new Error('no')),
      kill: (t) => void killed.push(t),
    };
    const client = createSandboxClient(transport, { supervisor, clock, graceMs: 10 });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 10 } });
    const controller = new AbortController();
    const call = watch(client.render(renderParams(), { signal: controller.signal }));
    await clock.settle();
    controller.abort();
    await clock.settle();
    expect(call.error).toMatchObject({ code: 'CANCELLED', details: { recycled: false } });
    expect(cancelled).toEqual([worker.seen.at(-1)!.id]);
    // Out of the line: the watchdog has nothing left to time.
    await clock.advance(1_000);
    expect(killed).toEqual([]);
    await client.close();
  });

  it('an abort while waiting for a replacement worker settles the call at once', async () => {
    const clock = createFakeClock();
    const first = scriptedWorker(looping);
    const supervisor: Supervisor = {
      spawn: () => new Promise<Transport>(() => undefined), // a replacement that never boots
      kill: () => undefined,
    };
    const client = createSandboxClient(first.transport, { supervisor, clock });
    first.kill();
    const controller = new AbortController();
    const call = watch(client.health({ signal: controller.signal }));
    await clock.settle();
    expect(call.settled).toBe(false);
    controller.abort();
    await clock.settle();
    expect(call.error).toMatchObject({ code: 'CANCELLED', details: { op: 'health' } });
    await client.close();
  });
});
