/**
 * The hybrid router on real parts: a Node worker pool as the local side, the real server over
 * HTTP as the other. The server is stopped mid-session (its port then refuses connections) and
 * started again; a local host that cannot start is a factory that throws.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CorralError, type EventResult, type RenderResult } from '@corral/contracts';
import { createHttpSandbox, createHybridSandbox, type SandboxClient } from '@corral/core';
import { createNodeSandbox } from '@corral/worker-node';
import { fixtures, startServer, type TestServer } from './helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function sides(): Promise<{ server: TestServer; local: SandboxClient; http: SandboxClient }> {
  const server = await startServer();
  const local = await createNodeSandbox({ poolSize: 1 });
  const http = createHttpSandbox({ baseUrl: server.url });
  open.push(local, http, server);
  return { server, local, http };
}

const base = { pluginId: 'counter', widgetId: 'main', globalState: {} };
const click = (count: number) => ({
  ...base,
  handler: 'inc',
  event: { name: 'click' as const },
  pluginState: { count },
});
const placed = (r: RenderResult | EventResult) => r.diagnostics.find((d) => d.kind === 'call');

describe('hybrid router over a Node worker and the real server', () => {
  it('production: the server is authoritative; when it goes away, auto plugins carry on locally with their state', async () => {
    const { server, local, http } = await sides();
    const hybrid = createHybridSandbox({ local, server: http, context: 'production' });
    await hybrid.loadPlugin({ pluginId: 'counter', code: fixtures.counter });
    let count = 0;
    for (let i = 0; i < 3; i++) {
      const result = await hybrid.event(click(count));
      expect(placed(result)).toMatchObject({ placement: 'server' });
      count = (result.pluginState as { count: number }).count;
    }
    await server.close(); // connections to its port are now refused
    for (let i = 0; i < 3; i++) {
      const result = await hybrid.event(click(count));
      expect(placed(result)?.placement).toBe('local');
      count = (result.pluginState as { count: number }).count;
    }
    expect(count).toBe(6); // each click applied once
    expect(hybrid.stats().divergences).toBe(0);
    expect(hybrid.placementOf('counter')?.last?.reason).toMatch(
      /server unavailable|adopted the local result/,
    );
  });

  it('a plugin placed on the server fails typed when the server is gone, naming where and why', async () => {
    const { server, local, http } = await sides();
    const hybrid = createHybridSandbox({ local, server: http, context: 'design' });
    await hybrid.loadPlugin({ pluginId: 'counter', code: fixtures.counter }, { placement: 'server' });
    expect(placed(await hybrid.render({ ...base, pluginState: { count: 1 } }))?.placement).toBe('server');
    await server.close();
    try {
      await hybrid.render({ ...base, pluginState: { count: 1 } });
      expect.unreachable('the server is gone');
    } catch (error) {
      const failure = CorralError.fromUnknown(error);
      expect(failure.code).toBe('WORKER_CRASHED');
      expect(failure.message).toMatch(
        /could not be reached.*could not run on server, and it has no fallback/,
      );
    }
  });

  it('design time with no local host (a browser without Worker): auto runs on the server', async () => {
    const { http } = await sides();
    const hybrid = createHybridSandbox({
      local: () => Promise.reject(new ReferenceError('Worker is not defined')),
      server: http,
      context: 'design',
    });
    await hybrid.loadPlugin({ pluginId: 'counter', code: fixtures.counter });
    const result = await hybrid.event(click(41));
    expect(result.pluginState).toEqual({ count: 42 });
    expect(placed(result)).toMatchObject({
      placement: 'server',
      placementReason: expect.stringContaining(
        'The local host could not start: Worker is not defined',
      ) as unknown,
    });
  });
});
