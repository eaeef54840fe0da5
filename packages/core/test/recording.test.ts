/**
 * Record a session on one real runtime, replay it on another: same trees, states and dispatches;
 * a changed recording is caught, and one failing call exports as a file that reproduces it.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import quickjsNg from '@jitl/quickjs-ng-wasmfile-release-sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CorralError, validateSessionRecording, type SessionRecording } from '@corral/contracts';
import {
  createInProcessSandbox,
  createSessionRecorder,
  extractCall,
  replaySession,
  type SandboxClient,
} from '@corral/core';
import { readFixtures } from './fixtures.js';

const { counter, todo50, todo50State } = readFixtures();
const clients: SandboxClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
async function host(variant = quickjs) {
  const client = await createInProcessSandbox({ variant, allowedGlobalActions: ['counter/increment'] });
  clients.push(client);
  return client;
}

/** A short session: counter clicks, a todo50 render, and a call that fails. */
async function record(): Promise<SessionRecording> {
  const recorder = createSessionRecorder(await host());
  const client = recorder.client;
  await client.loadPlugin({ pluginId: 'counter', code: counter });
  await client.loadPlugin({ pluginId: 'todo', code: todo50 });
  let state: unknown = { count: 0 };
  for (let i = 0; i < 3; i++) {
    const base = { pluginId: 'counter', widgetId: 'main', pluginState: state as never, globalState: {} };
    await client.render(base);
    state = (await client.event({ ...base, handler: 'inc', event: { name: 'click' } })).pluginState;
  }
  await client.render({ pluginId: 'todo', widgetId: 'main', pluginState: todo50State, globalState: {} });
  await expect(
    client.event({
      pluginId: 'counter',
      widgetId: 'main',
      handler: 'nope',
      event: { name: 'click' },
      pluginState: {},
      globalState: {},
    }),
  ).rejects.toMatchObject({ code: 'UNKNOWN_HANDLER' });
  return recorder.recording();
}

async function failure(promise: Promise<unknown>): Promise<CorralError> {
  try {
    await promise;
  } catch (error) {
    return CorralError.fromUnknown(error);
  }
  throw new Error('expected a failure');
}

describe('session recording', () => {
  it('is a valid versioned document holding the code, its hash and every call with now and seed', async () => {
    const recording = await record();
    expect(validateSessionRecording(JSON.parse(JSON.stringify(recording))).ok).toBe(true);
    expect(recording.version).toBe(1);
    expect(recording.plugins.map((p) => [p.pluginId, p.codeSha256.length])).toEqual([
      ['counter', 64],
      ['todo', 64],
    ]);
    expect(recording.calls).toHaveLength(8);
    for (const call of recording.calls) {
      expect(typeof call.params.now).toBe('number');
      expect(typeof call.params.seed).toBe('number');
    }
    expect(recording.calls.at(-1)?.error?.code).toBe('UNKNOWN_HANDLER');
  });

  it('replays on another host, and on the other engine, to the same trees, states and dispatches', async () => {
    const recording = await record();
    for (const variant of [quickjs, quickjsNg]) {
      const report = await replaySession(JSON.parse(JSON.stringify(recording)), await host(variant));
      expect(report).toEqual({ calls: 8, mismatches: [] });
    }
  });

  it('says which call and what differs when a host answers differently', async () => {
    const recording = await record();
    const changed = structuredClone(recording);
    const event = changed.calls.findIndex((c) => c.op === 'event');
    (changed.calls[event] as { pluginState: unknown }).pluginState = { count: 99 };
    const render = changed.calls.findIndex((c) => c.op === 'render');
    (changed.calls[render] as { tree: unknown }).tree = { kind: 'text', text: 'other' };
    const report = await replaySession(changed, await host());
    expect(report.mismatches).toEqual([
      { index: render, op: 'render', pluginId: 'counter', fields: ['tree'] },
      { index: event, op: 'event', pluginId: 'counter', fields: ['pluginState'] },
    ]);
  });

  it('refuses a recording whose code no longer matches its hash, or of an unknown version', async () => {
    const recording = await record();
    const tampered = structuredClone(recording);
    tampered.plugins[0]!.code += '\n// edited';
    const error = await failure(replaySession(tampered, await host()));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain("Plugin 'counter' in the recording does not match its codeSha256");
    const future = await failure(replaySession({ ...recording, version: 2 }, await host()));
    expect(future).toMatchObject({ code: 'INVALID_REQUEST', details: { path: '/version' } });
  });

  it('keeps the last maxCalls calls, which still replay on their own', async () => {
    const recorder = createSessionRecorder(await host(), { maxCalls: 2 });
    await recorder.client.loadPlugin({ pluginId: 'counter', code: counter });
    for (let count = 0; count < 5; count++) {
      await recorder.client.render({
        pluginId: 'counter',
        widgetId: 'main',
        pluginState: { count },
        globalState: {},
      });
    }
    const recording = recorder.recording();
    expect(recording.calls.map((c) => (c.params.pluginState as { count: number }).count)).toEqual([3, 4]);
    expect(await replaySession(recording, await host(quickjsNg))).toEqual({ calls: 2, mismatches: [] });
  });

  it('exports one failing call as a file that reproduces it on another host', async () => {
    const recording = await record();
    const file = JSON.stringify(extractCall(recording, recording.calls.length - 1));
    const single = JSON.parse(file) as SessionRecording;
    expect(single.plugins.map((p) => p.pluginId)).toEqual(['counter']);
    expect(single.calls).toHaveLength(1);
    expect(await replaySession(single, await host(quickjsNg))).toEqual({ calls: 1, mismatches: [] });
    expect(() => extractCall(recording, 99)).toThrow(/has no call 99/);
  });
});
