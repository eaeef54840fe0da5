/**
 * createSandboxPool's routing over in-process members (the pool worker hosts run their workers
 * in): affinity, ids it never saw, failed loads, merged health, fanned-in diagnostics, close.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CorralError, type Diagnostic } from '@corral/contracts';
import {
  createInProcessSandbox,
  createSandboxPool,
  type SandboxClient,
  type SandboxPool,
} from '@corral/core';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();
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
