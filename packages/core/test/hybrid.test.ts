/**
 * The hybrid router's rules, on two real in-thread runtimes (QuickJS) standing in for the local
 * worker and the server; a side is made unavailable by a switch in front of it that answers
 * OVERLOADED without running the call. The real sides (Node worker, HTTP server, a killed server)
 * are in apps/server/test/hybrid.test.ts.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CorralError,
  type Diagnostic,
  type EventParams,
  type EventResult,
  type LoadPluginParams,
  type RenderParams,
  type RenderResult,
} from '@corral/contracts';
import { createHybridSandbox, createInProcessSandbox, type SandboxClient } from '@corral/core';
import { createFakeClock } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();
const closing: SandboxClient[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c.close()));
});

/** A real runtime behind a switch: `down` answers OVERLOADED; `ran` counts calls that ran. */
async function side(options: { globalExtra?: Record<string, unknown> } = {}) {
  const inner = await createInProcessSandbox({
    variant: quickjs,
    allowedGlobalActions: ['counter/increment'],
  });
  const state = { down: false, ran: { loadPlugin: 0, render: 0, event: 0 } };
  const gate =
    <A extends object, R>(op: keyof typeof state.ran, call: (a: A) => Promise<R>) =>
    async (params: A) => {
      if (state.down) throw new CorralError('OVERLOADED', 'The host is shutting down.', { status: 503 });
      state.ran[op] += 1;
      const withExtra =
        options.globalExtra && 'globalState' in params
          ? { ...params, globalState: { ...(params.globalState as object), ...options.globalExtra } }
          : params;
      return call(withExtra as A);
    };
  const client: SandboxClient = {
    ...inner,
    loadPlugin: gate('loadPlugin', (p: LoadPluginParams) => inner.loadPlugin(p)),
    render: gate('render', (p: RenderParams) => inner.render(p)),
    event: gate('event', (p: EventParams) => inner.event(p)),
    disposePlugin: (p) => inner.disposePlugin(p),
    health: () => inner.health(),
    onDiagnostic: (l) => inner.onDiagnostic(l),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  closing.push(client);
  return { client, state };
}

const render = { pluginId: 'counter', widgetId: 'main', pluginState: { count: 4 }, globalState: {} };
const click = { ...render, handler: 'inc', event: { name: 'click' as const } };
const callOf = (r: RenderResult | EventResult) => r.diagnostics.find((d) => d.kind === 'call')!;

async function failure(promise: Promise<unknown>): Promise<CorralError> {
  try {
    await promise;
  } catch (error) {
    return CorralError.fromUnknown(error);
  }
  throw new Error('expected the call to fail');
}

describe('createHybridSandbox', () => {
  it('auto at design time runs locally and says why, in the result and to listeners', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'design' });
    const seen: Diagnostic[] = [];
    hybrid.onDiagnostic((d) => seen.push(d));
    await hybrid.loadPlugin({ pluginId: 'counter', code: counter });
    const result = await hybrid.render(render);
    expect(JSON.stringify(result.tree)).toContain('Count: 4');
    expect(callOf(result)).toMatchObject({
      placement: 'local',
      placementReason: expect.stringContaining('design'),
    });
    expect(seen.find((d) => d.kind === 'call' && d.op === 'render')).toMatchObject({ placement: 'local' });
    expect([local.state.ran.render, server.state.ran.render]).toEqual([1, 0]);
    expect(hybrid.placementOf('counter')?.last).toEqual({
      placement: 'local',
      reason: 'auto, design time: local for instant feedback',
    });
  });

  it('auto in production: the server answers, the local preview comes first through onPreview, both agree', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'production' });
    await hybrid.loadPlugin({ pluginId: 'counter', code: counter });
    const previews: string[] = [];
    const result = await hybrid.event(click, {
      onPreview: (r, where) => previews.push(`${where}:${JSON.stringify(r.pluginState)}`),
    });
    expect(result.pluginState).toEqual({ count: 5 });
    expect(callOf(result).placement).toBe('server');
    expect(previews).toEqual(['local:{"count":5}']);
    expect([local.state.ran.event, server.state.ran.event]).toEqual([1, 1]);
    expect(hybrid.stats()).toMatchObject({ divergences: 0, fallbacks: 0 });
  });

  it('a preview that differs from the server: the server is adopted and the divergence reported', async () => {
    // The server's host adds a value the local one does not have: a plugin that reads it diverges.
    const [local, server] = [await side(), await side({ globalExtra: { region: 'eu' } })];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'production' });
    const reader = counter.replace(
      '"Count: " + ctx.pluginState.count',
      '"Region: " + (ctx.globalState.region || "none")',
    );
    await hybrid.loadPlugin({ pluginId: 'counter', code: reader });
    const seen: Diagnostic[] = [];
    hybrid.onDiagnostic((d) => seen.push(d));
    let preview = '';
    const result = await hybrid.render(render, { onPreview: (r) => (preview = JSON.stringify(r.tree)) });
    expect(preview).toContain('Region: none');
    expect(JSON.stringify(result.tree)).toContain('Region: eu');
    const divergence = {
      kind: 'divergence',
      pluginId: 'counter',
      op: 'render',
      fields: ['tree'],
      adopted: 'server',
    };
    expect(result.diagnostics).toContainEqual(divergence);
    expect(seen).toContainEqual(divergence);
    expect(hybrid.stats().divergences).toBe(1);
  });

  it('now and seed are chosen once, so both sides see the same call (Math.random agrees)', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'production' });
    const random = counter.replace(
      '"Count: " + ctx.pluginState.count',
      '"r=" + Math.random() + " t=" + ctx.now',
    );
    await hybrid.loadPlugin({ pluginId: 'counter', code: random });
    for (let i = 0; i < 5; i++) await hybrid.render(render);
    expect(hybrid.stats().divergences).toBe(0);
    expect(server.state.ran.render).toBe(5);
  });

  it('a plugin that requires secrets runs on the server only: never placed local, never falls back', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'design' });
    const refused = await failure(
      hybrid.loadPlugin(
        { pluginId: 'counter', code: counter },
        { placement: 'local', requires: ['secrets'] },
      ),
    );
    expect(refused.code).toBe('INVALID_REQUEST');
    expect(refused.message).toMatch(/requires secrets.*place it on 'server' or 'auto'/);
    expect(local.state.ran.loadPlugin + server.state.ran.loadPlugin).toBe(0);

    await hybrid.loadPlugin({ pluginId: 'counter', code: counter }, { requires: ['secrets'] });
    expect(callOf(await hybrid.render(render))).toMatchObject({
      placement: 'server',
      placementReason: 'requires secrets: server only',
    });
    expect(() => hybrid.setPlacement('counter', 'local')).toThrow(/only the server has/);
    server.state.down = true;
    const down = await failure(hybrid.event(click));
    expect(down.code).toBe('OVERLOADED');
    expect(down.message).toContain('could not run on server, and it has no fallback');
    expect(local.state.ran.event).toBe(0);
  });

  it('local unavailable (no Worker): auto falls back to the server with the same state', async () => {
    const server = await side();
    const hybrid = createHybridSandbox({
      local: () => {
        throw new ReferenceError('Worker is not defined');
      },
      server: server.client,
      context: 'design',
    });
    await hybrid.loadPlugin({ pluginId: 'counter', code: counter });
    const result = await hybrid.event(click);
    expect(result.pluginState).toEqual({ count: 5 });
    expect(callOf(result)).toMatchObject({
      placement: 'server',
      placementReason: expect.stringMatching(/local unavailable.*server/),
    });
    // After two failures local is skipped outright: the policy picks the server by health.
    await hybrid.render(render);
    expect(hybrid.placementOf('counter')?.last?.reason).toBe('auto: local unavailable, running on server');
  });

  it('pinned local with local unavailable fails typed, saying where it could not run and what to do', async () => {
    const server = await side();
    const hybrid = createHybridSandbox({ server: server.client, context: 'design' });
    const error = await failure(
      hybrid.loadPlugin({ pluginId: 'counter', code: counter }, { placement: 'local' }),
    );
    expect(error.code).toBe('WORKER_CRASHED');
    expect(error.message).toMatch(
      /No local host is configured.*could not run on local, and it has no fallback/,
    );
    expect(hybrid.placementOf('counter')).toBeUndefined();
  });

  it('server unreachable in production: auto adopts the local preview without running the event twice', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'production' });
    await hybrid.loadPlugin({ pluginId: 'counter', code: counter });
    server.state.down = true;
    const result = await hybrid.event(click);
    expect(result.pluginState).toEqual({ count: 5 });
    expect(callOf(result)).toMatchObject({
      placement: 'local',
      placementReason: expect.stringContaining('OVERLOADED'),
    });
    expect([local.state.ran.event, server.state.ran.event]).toEqual([1, 0]);
    expect(hybrid.stats()).toMatchObject({ fallbacks: 1, divergences: 0 });
  });

  it('a plugin fault is never retried on the other side', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'design' });
    await hybrid.loadPlugin({
      pluginId: 'counter',
      code: counter.replace('ctx.dispatchPluginAction', 'throw new Error("no"); ctx.dispatchPluginAction'),
    });
    expect((await failure(hybrid.event(click))).code).toBe('PLUGIN_THREW');
    expect([local.state.ran.event, server.state.ran.event]).toEqual([1, 0]);
  });

  it('a side that keeps failing is skipped until its cool-down ends, then tried again', async () => {
    const clock = createFakeClock();
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({
      local: local.client,
      server: server.client,
      context: 'design',
      clock,
      downForMs: 10_000,
    });
    await hybrid.loadPlugin({ pluginId: 'counter', code: counter });
    local.state.down = true;
    await hybrid.render(render);
    await hybrid.render(render); // second failure: local is down
    const before = local.state.ran.render;
    await hybrid.render(render);
    expect(hybrid.placementOf('counter')?.last?.placement).toBe('server');
    expect(hybrid.stats().fallbacks).toBe(2);
    local.state.down = false;
    await clock.advance(10_000);
    expect(callOf(await hybrid.render(render)).placement).toBe('local');
    expect(local.state.ran.render).toBe(before + 1);
  });

  it('setPlacement moves a plugin: loaded on the new side on its next call, same state, same tree', async () => {
    const [local, server] = [await side(), await side()];
    const hybrid = createHybridSandbox({ local: local.client, server: server.client, context: 'design' });
    await hybrid.loadPlugin({ pluginId: 'counter', code: counter });
    const here = await hybrid.render({ ...render, now: 1, seed: 1 });
    hybrid.setPlacement('counter', 'server');
    const there = await hybrid.render({ ...render, now: 1, seed: 1 });
    expect(callOf(there).placement).toBe('server');
    expect(there.tree).toEqual(here.tree);
    expect(server.state.ran.loadPlugin).toBe(1);
    expect(() => hybrid.setPlacement('nope', 'local')).toThrow(/No plugin 'nope' is loaded/);
  });
});
