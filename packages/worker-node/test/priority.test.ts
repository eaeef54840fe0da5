/**
 * `niceness`: a sandbox's worker threads lower their own CPU priority, and only theirs (the
 * server runs its quarantine lane this way). Linux keeps a nice value per thread, read here
 * from /proc; on other systems the option does nothing and the sandbox must still work.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeSandbox, type NodeSandbox } from '@corral/worker-node';
import { internals } from '../src/createNodeSandbox.js';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();

/** Thread id → nice value, for every thread of this process (Linux). */
function niceByThread(): Map<string, number> {
  const threads = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name: state is the 1st, nice the 17th.
    threads.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return threads;
}

describe('createNodeSandbox niceness', () => {
  let sandbox: NodeSandbox | null = null;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = null;
  });

  it('runs the worker threads that much lower and leaves the other threads alone', async () => {
    const linux = process.platform === 'linux';
    const before = linux ? niceByThread() : new Map<string, number>();
    sandbox = await createNodeSandbox({ poolSize: 1, niceness: 7 });
    await sandbox.loadPlugin({ pluginId: 'c', code: counter });
    const { tree } = await sandbox.render({
      pluginId: 'c',
      widgetId: 'main',
      pluginState: { count: 4 },
      globalState: {},
    });
    expect(JSON.stringify(tree)).toContain('Count: 4');
    if (!linux) return;
    // The hot spare boots after the member serves calls; its thread lowers itself as it boots.
    while (!internals.get(sandbox)!.pool.spareReady()) await new Promise((r) => setTimeout(r, 5));
    const after = niceByThread();
    const base = before.get(String(process.pid))!;
    const lowered = [...after].filter(([tid, nice]) => !before.has(tid) && nice === Math.min(19, base + 7));
    // The member and the hot spare.
    expect(lowered.length).toBeGreaterThanOrEqual(2);
    expect(after.get(String(process.pid))).toBe(before.get(String(process.pid)));
    expect([...after].filter(([tid, nice]) => before.has(tid) && nice !== before.get(tid))).toEqual([]);
  });

  it('leaves every thread at its priority by default', async () => {
    if (process.platform !== 'linux') return;
    const base = niceByThread().get(String(process.pid));
    sandbox = await createNodeSandbox({ poolSize: 1 });
    expect([...niceByThread().values()].filter((nice) => nice !== base)).toEqual([]);
  });
});
