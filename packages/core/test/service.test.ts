import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRpcResponse, type RpcResponse } from '@corral/contracts';
import {
  answer,
  createInProcessTransportPair,
  createRuntime,
  createRuntimeService,
  type Runtime,
} from '@corral/core';
import { createFakeClock } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createRuntime({ variant: quickjs });
  await runtime.loadPlugin({ pluginId: 'counter', code: readFixtures().counter });
});
afterAll(() => runtime.dispose());

describe('runtime service: every inbound message is checked, nothing crashes it', () => {
  const cases: [string, unknown, string | number | null, string][] = [
    ['a non-object', 'hello', null, ''],
    ['an array', [1, 2], null, ''],
    ['no id', { op: 'health', params: {} }, null, '/id'],
    ['an object id', { id: {}, op: 'health', params: {} }, null, '/id'],
    ['an unknown op', { id: 1, op: 'exec', params: {} }, 1, '/op'],
    ['missing params', { id: 'a', op: 'health' }, 'a', '/params'],
    ['an extra key', { id: 2, op: 'health', params: {}, admin: true }, 2, ''],
    ['params of the wrong shape', { id: 3, op: 'render', params: { pluginId: 'counter' } }, 3, ''],
    [
      'a 100,000-deep event',
      {
        id: 4,
        op: 'event',
        params: {
          pluginId: 'counter',
          widgetId: 'main',
          handler: 'inc',
          event: deep(100_000),
          pluginState: {},
          globalState: {},
        },
      },
      4,
      '/params/event',
    ],
  ];
  it.each(cases)(
    'answers %s with INVALID_REQUEST and the id it could read',
    async (_name, message, id, pathPrefix) => {
      const response = await answer(runtime, message);
      expect(validateRpcResponse(response).ok).toBe(true);
      expect(response).toMatchObject({ id, ok: false, error: { code: 'INVALID_REQUEST' } });
      const details = (response as Extract<RpcResponse, { ok: false }>).error.details as { path: string };
      expect(details.path.startsWith(pathPrefix)).toBe(true);
    },
  );

  it('answers a state JSON cannot carry with INVALID_STATE naming the state and the value', async () => {
    for (const [state, value, path] of [
      ['pluginState', deep(100_000), '/v/v/v'],
      ['globalState', { at: [1, NaN] }, '/at/1'],
    ] as const) {
      const params = {
        pluginId: 'counter',
        widgetId: 'main',
        pluginState: {},
        globalState: {},
        [state]: value,
      };
      const response = await answer(runtime, { id: 9, op: 'render', params });
      expect(validateRpcResponse(response).ok).toBe(true);
      expect(response).toMatchObject({
        id: 9,
        ok: false,
        error: { code: 'INVALID_STATE', details: { state } },
      });
      const details = (response as Extract<RpcResponse, { ok: false }>).error.details as { path: string };
      expect(details.path.startsWith(path)).toBe(true);
    }
  });

  it('answers any random message with a valid contract response', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({
            id: fc.oneof(fc.integer(), fc.string()),
            op: fc.constantFrom('loadPlugin', 'render', 'event', 'disposePlugin', 'health'),
            params: fc.anything(),
          }),
        ),
        async (message) => {
          const response = await answer(runtime, message);
          expect(validateRpcResponse(response).ok).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    expect(
      (
        await runtime.render({
          pluginId: 'counter',
          widgetId: 'main',
          pluginState: { count: 1 },
          globalState: {},
        })
      ).tree,
    ).toBeTruthy();
  });

  it('serves requests and pushes notifications over a transport', async () => {
    const [client, server] = createInProcessTransportPair();
    const service = createRuntimeService(runtime, server);
    const received: unknown[] = [];
    client.on((m) => received.push(m));
    client.post({
      id: 7,
      op: 'render',
      params: { pluginId: 'counter', widgetId: 'main', pluginState: { count: 2 }, globalState: {} },
    });
    client.post('garbage');
    // Two answers and the render's diagnostic: wait for them to arrive, not for a set time.
    const clock = createFakeClock();
    for (let i = 0; i < 200 && received.length < 3; i++) await clock.settle();
    expect(received).toContainEqual(expect.objectContaining({ id: 7, ok: true }));
    expect(received).toContainEqual(expect.objectContaining({ id: null, ok: false }));
    expect(received).toContainEqual(expect.objectContaining({ notification: 'diagnostic' }));
    service.close();
  });
});

function deep(n: number): unknown {
  let v: unknown = {};
  for (let i = 0; i < n; i++) v = { v };
  return v;
}
