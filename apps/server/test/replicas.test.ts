/**
 * Stateless replicas: two servers share nothing, and the HTTP client still works when a load
 * balancer sends its calls to a replica that never saw the plugin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSandbox } from '@corral/core';
import { call, fixtures, startServer, type TestServer } from './helpers.js';

describe('replicas behind a load balancer', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(), startServer()]);
  });
  afterAll(() => Promise.all([a?.close(), b?.close()]));

  /** A "load balancer": every request goes to the replica `pick()` names, over real fetch. */
  function balanced(pick: () => TestServer) {
    const seen: string[] = [];
    const fetchVia: typeof fetch = (input, init) => {
      const target = pick();
      seen.push(target === a ? 'A' : 'B');
      return fetch(String(input).replace(a.url, target.url), init);
    };
    return { client: createHttpSandbox({ baseUrl: a.url, fetch: fetchVia }), seen };
  }

  it('loads on A, renders on B: B answers UNKNOWN_PLUGIN, the client re-sends load + call as one batch', async () => {
    let target = a;
    const { client, seen } = balanced(() => target);
    await client.loadPlugin({ pluginId: 'counter', code: fixtures.counter });
    target = b;
    const out = await client.render({
      pluginId: 'counter',
      widgetId: 'main',
      pluginState: { count: 4 },
      globalState: {},
    });
    expect(JSON.stringify(out.tree)).toContain('Count: 4');
    // load on A; render on B (404); [load, render] on B
    expect(seen).toEqual(['A', 'B', 'B']);
    const event = await client.event({
      pluginId: 'counter',
      widgetId: 'main',
      handler: 'inc',
      event: { name: 'click' },
      pluginState: { count: 4 },
      globalState: {},
    });
    expect(event.pluginState).toEqual({ count: 5 });
    expect(seen).toEqual(['A', 'B', 'B', 'B']); // B is warm now
    await client.close();
  });

  it('round-robin over both replicas: every call succeeds, whichever replica each request lands on', async () => {
    let turn = 0;
    const { client, seen } = balanced(() => (turn++ % 2 === 0 ? a : b));
    await client.loadPlugin({ pluginId: 'todo', code: fixtures.todo50 });
    for (let i = 0; i < 20; i++) {
      const { tree } = await client.render({
        pluginId: 'todo',
        widgetId: 'main',
        pluginState: fixtures.todo50State,
        globalState: {},
      });
      expect(tree.kind).toBe('panel');
    }
    // Strict alternation is the worst case: a miss on B is retried (as a batch) on A.
    expect(seen.length).toBeLessThanOrEqual(1 + 2 * 20);
    await client.close();
  });

  it('a replica that evicted the plugin is refilled the same way', async () => {
    const { client } = balanced(() => a);
    await client.loadPlugin({ pluginId: 'evicted', code: fixtures.counter });
    // Another client (same tenant) disposes it on A, as an LRU eviction would.
    await call(a.url, 'POST', '/v1/rpc', { id: 1, op: 'disposePlugin', params: { pluginId: 'evicted' } });
    const out = await client.render({
      pluginId: 'evicted',
      widgetId: 'main',
      pluginState: { count: 9 },
      globalState: {},
    });
    expect(JSON.stringify(out.tree)).toContain('Count: 9');
    await client.close();
  });

  it('REST ids are content-derived, so every replica agrees on them', async () => {
    const [onA, onB] = await Promise.all([
      call(a.url, 'POST', '/v1/plugins', { code: fixtures.counter }),
      call(b.url, 'POST', '/v1/plugins', { code: fixtures.counter }),
    ]);
    expect(onA.body.pluginId).toBe(onB.body.pluginId);
    expect(onA.body.pluginId).toMatch(/^sha256-[0-9a-f]{64}$/);
  });
});
