/**
 * Same plugin, same state, same result, on every host. Each plugin is driven with random
 * interactions from fixed seeds on the in-thread runtime; each recorded session is then replayed
 * on a Node worker and on the HTTP server, which must give back the same trees, states and
 * dispatches byte for byte. (The browser worker replays the same sessions in Chromium:
 * packages/worker-browser/test/equivalence.test.ts.) A plugin that reads a value only one host
 * gives it is caught.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSandbox, createInProcessSandbox, replaySession, type SandboxClient } from '@corral/core';
import { driveSession, equivalenceSessions } from '@corral/core/testing';
import { exampleGroups } from '@corral/examples/catalog';
import { createNodeSandbox } from '@corral/worker-node';
import { fixtures, startServer, type TestServer } from './helpers.js';

const GLOBAL = ['counter/increment', 'notifications/add'];

describe('equivalence across hosts', () => {
  let server: TestServer;
  let inThread: SandboxClient;
  let worker: SandboxClient;
  let http: SandboxClient;
  beforeAll(async () => {
    server = await startServer({ CORRAL_ALLOWED_GLOBAL_ACTIONS: GLOBAL.join(',') });
    [inThread, worker] = await Promise.all([
      createInProcessSandbox({ variant: quickjs, allowedGlobalActions: GLOBAL }),
      createNodeSandbox({ poolSize: 1, allowedGlobalActions: GLOBAL }),
    ]);
    http = createHttpSandbox({ baseUrl: server.url });
  });
  afterAll(async () => {
    await Promise.all([inThread?.close(), worker?.close(), http?.close()]);
    await server?.close();
  });

  // Every example plugin (the pair sharing a global action together), and the bench fixtures.
  const groups = [
    ...exampleGroups(),
    [{ pluginId: 'bench-counter', code: fixtures.counter }],
    [{ pluginId: 'todo50', code: fixtures.todo50, state: fixtures.todo50State }],
  ].map((group) => group.map((plugin) => ({ ...plugin, profile: 'generous' as const })));
  const sessions = equivalenceSessions(groups, 210);

  it(`${sessions.length} random sessions replay identically on a Node worker and the HTTP server`, async () => {
    expect(sessions.length).toBeGreaterThanOrEqual(200);
    let calls = 0;
    let events = 0;
    const trees = new Map<string, Set<string>>();
    for (const session of sessions) {
      const recording = await driveSession(inThread, session);
      calls += recording.calls.length;
      for (const call of recording.calls) {
        if (call.op === 'event' && call.error === undefined) events += 1;
        if (call.op === 'render' && call.tree) {
          const seen = trees.get(call.params.pluginId) ?? new Set();
          trees.set(call.params.pluginId, seen.add(JSON.stringify(call.tree)));
        }
      }
      for (const [name, host] of [
        ['node worker', worker],
        ['http', http],
      ] as const) {
        const report = await replaySession(recording, host);
        expect({ host: name, seed: session.seed, mismatches: report.mismatches }).toEqual({
          host: name,
          seed: session.seed,
          mismatches: [],
        });
      }
    }
    // The sessions did something: events ran, and every plugin showed more than one tree.
    expect(events).toBeGreaterThan(sessions.length * 2);
    const varied = [...trees].filter(([, seen]) => seen.size > 1).map(([id]) => id);
    expect(varied.sort()).toEqual(
      groups
        .flat()
        .map((p) => p.pluginId)
        .sort(),
    );
    expect(calls).toBeGreaterThan(sessions.length * 6);
  }, 600_000);

  it('a plugin reading a value only one host gives it diverges, and the replay says where', async () => {
    // The server's host adds `region` to the global state it hands plugins; the worker does not.
    const reader = `definePlugin({
      initialState: { n: 0 },
      reducers: { set: function (s, p) { return { n: p }; } },
      widgets: { main: { render: function (ctx) {
        return { kind: "button", label: "n=" + ctx.pluginState.n, onClick: { handler: "go" } };
      } } },
      handlers: { go: function (ctx) { ctx.dispatchPluginAction("set", ctx.globalState.region ? 2 : 1); } },
    });`;
    const recording = await driveSession(inThread, {
      plugins: [{ pluginId: 'reader', code: reader }],
      seed: 7,
      steps: 3,
    });
    const regional: SandboxClient = {
      ...worker,
      loadPlugin: (p) => worker.loadPlugin(p),
      render: (p) => worker.render({ ...p, globalState: { ...(p.globalState as object), region: 'eu' } }),
      event: (p) => worker.event({ ...p, globalState: { ...(p.globalState as object), region: 'eu' } }),
    };
    const report = await replaySession(recording, regional);
    expect(report.mismatches.length).toBeGreaterThan(0);
    expect(report.mismatches[0]).toMatchObject({
      op: 'event',
      pluginId: 'reader',
      fields: ['pluginState', 'dispatches'],
    });
  });
});
