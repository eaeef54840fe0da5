/**
 * The client's own logic — ids, deadlines, supervision — against a scripted other side. The
 * real runtime behind real transports is covered by the conformance suite in every host.
 */
import { describe, expect, it } from 'vitest';
import type { RpcRequest, RpcResponse } from '@corral/contracts';
import {
  createInProcessTransportPair,
  createSandboxClient,
  type Supervisor,
  type Transport,
} from '@corral/core';

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

describe('SandboxClient', () => {
  it('correlates concurrent responses by id, in any order', async () => {
    const worker = scriptedWorker(async (req) => {
      if (req.op !== 'render') return meta(req);
      const n = (req.params as unknown as { pluginState: { n: number } }).pluginState.n;
      await new Promise((r) => setTimeout(r, 30 - n * 10));
      return ok(req, { tree: { kind: 'text', text: String(n) }, diagnostics: [] });
    });
    const client = createSandboxClient(worker.transport);
    const results = await Promise.all(
      [0, 1, 2].map((n) => client.render({ ...renderParams(), pluginState: { n } })),
    );
    expect(results.map((r) => (r.tree as { text: string }).text)).toEqual(['0', '1', '2']);
    expect(new Set(worker.seen.map((r) => r.id)).size).toBe(3);
    await client.close();
  });

  it('rejects every pending call with WORKER_CRASHED when the transport dies', async () => {
    const worker = scriptedWorker(() => 'hang');
    const client = createSandboxClient(worker.transport);
    const calls = [client.render(renderParams()), client.health()];
    await new Promise((r) => setTimeout(r, 5));
    worker.kill();
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
  });

  it('without a supervisor, an overrunning call fails LIMIT_TIME after deadline + grace', async () => {
    const worker = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : 'hang'));
    const client = createSandboxClient(worker.transport, { graceMs: 20 });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 10 } });
    const started = Date.now();
    await expect(client.render(renderParams())).rejects.toMatchObject({
      code: 'LIMIT_TIME',
      details: { killed: false },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    await client.close();
  });

  it('times the head of the line from the previous answer: a busy, healthy worker is not killed', async () => {
    let busyUntil = 0;
    const worker = scriptedWorker(async (req) => {
      if (req.op === 'loadPlugin') return meta(req);
      // A serial worker: each call takes 15 ms after the previous one finished.
      const start = Math.max(Date.now(), busyUntil);
      busyUntil = start + 15;
      await new Promise((r) => setTimeout(r, busyUntil - Date.now()));
      return ok(req, tree);
    });
    const kills: Transport[] = [];
    const supervisor: Supervisor = {
      spawn: () => Promise.reject(new Error('no')),
      kill: (t) => void kills.push(t),
    };
    const client = createSandboxClient(worker.transport, { graceMs: 10, supervisor });
    await client.loadPlugin({ pluginId: 'p', code: 'x', limits: { renderTimeoutMs: 20 } });
    // Ten calls queue for 150 ms in total, far past any one call's 20 + 10 ms.
    const results = await Promise.all(Array.from({ length: 10 }, () => client.render(renderParams())));
    expect(results).toHaveLength(10);
    expect(kills).toHaveLength(0);
    await client.close();
  });

  it('with a supervisor: kills the stuck worker, fails the others, reloads plugins into the replacement', async () => {
    const first = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : 'hang'));
    const second = scriptedWorker((req) => (req.op === 'loadPlugin' ? meta(req) : ok(req, tree)));
    const killed: Transport[] = [];
    const restarts: string[] = [];
    const supervisor: Supervisor = { spawn: async () => second.transport, kill: (t) => void killed.push(t) };
    const client = createSandboxClient(first.transport, {
      graceMs: 10,
      supervisor,
      onRestart: (r) => restarts.push(r),
    });
    await client.loadPlugin({ pluginId: 'a', code: 'code-a', limits: { renderTimeoutMs: 10 } });
    await client.loadPlugin({ pluginId: 'b', code: 'code-b', profile: 'strict' });
    const stuck = client.render(renderParams('a'));
    const behind = client.health();
    await expect(stuck).rejects.toMatchObject({ code: 'LIMIT_TIME', details: { killed: true } });
    await expect(behind).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(killed).toEqual([first.transport]);
    expect((await client.render(renderParams('b'))).tree).toEqual({ kind: 'divider' });
    expect(
      second.seen
        .filter((r) => r.op === 'loadPlugin')
        .map((r) => (r.params as { code: string }).code)
        .sort(),
    ).toEqual(['code-a', 'code-b']);
    expect(restarts).toHaveLength(1);
    await client.close();
  });

  it('does not loop when replacements die while booting, and tries again after the cool-down', async () => {
    let spawns = 0;
    const supervisor: Supervisor = {
      spawn: async () => {
        spawns++;
        throw new Error('boot failed');
      },
      kill: () => undefined,
      maxBootFailures: 3,
      cooldownMs: 600,
    };
    const worker = scriptedWorker((req) => meta(req));
    const client = createSandboxClient(worker.transport, { supervisor });
    worker.kill();
    await new Promise((r) => setTimeout(r, 300));
    expect(spawns).toBe(3);
    const started = Date.now();
    await expect(client.health()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(Date.now() - started).toBeLessThan(50);
    expect(spawns).toBe(3);
    await new Promise((r) => setTimeout(r, 600));
    // One more attempt after the cool-down, not a new loop.
    await expect(client.health()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(spawns).toBe(4);
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
