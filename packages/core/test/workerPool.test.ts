/**
 * core's worker pool and worker wire, with in-process "workers": each is a real runtime served
 * by `serveWorkerPort` on one end of an in-process pipe, read by `readWorkerMessage` on the
 * other — everything a thread adapter runs, minus the thread (worker-node's fault suite runs the
 * same pool over real threads).
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CorralError } from '@corral/contracts';
import {
  createInProcessTransportPair,
  createRuntime,
  createWorkerPool,
  readWorkerMessage,
  serveWorkerPort,
  type Transport,
  type WorkerLink,
  type WorkerPool,
} from '@corral/core';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();

/** Start an in-process worker; `silent` ones never say ready. */
function startWorker(started: WorkerLink[], silent = false): WorkerLink {
  const [host, worker] = createInProcessTransportPair();
  const link = { transport: hostSide(host), exited: false };
  host.onClose?.(() => (link.exited = true));
  started.push(link);
  if (!silent) {
    void createRuntime({ variant: quickjs }).then((runtime) =>
      serveWorkerPort(runtime, { postMessage: (m) => worker.post(m), on: (l) => worker.on(l) }),
    );
  }
  return link;
}

function hostSide(pipe: Transport): Transport {
  return { ...pipe, on: (listener) => pipe.on((message) => readWorkerMessage(message, listener)) };
}

const render = (pool: WorkerPool, count: number) =>
  pool.render({ pluginId: 'c', widgetId: 'main', pluginState: { count }, globalState: {} });

describe('createWorkerPool', () => {
  let pool: WorkerPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('boots its members and a hot spare, and serves calls through them', async () => {
    const started: WorkerLink[] = [];
    pool = await createWorkerPool({ size: 2, start: () => startWorker(started), onClose: async () => {} });
    expect(pool.boots()).toBe(3);
    expect(pool.spareReady()).toBe(true);
    await pool.loadPlugin({ pluginId: 'c', code: counter });
    const result = await render(pool, 7);
    expect(JSON.stringify(result.tree)).toContain('7');
    expect(started).toContain(pool.linkOf('c'));
  });

  it('replaces a worker that dies with the spare and reloads its plugins', async () => {
    const started: WorkerLink[] = [];
    pool = await createWorkerPool({ size: 1, start: () => startWorker(started), onClose: async () => {} });
    await pool.loadPlugin({ pluginId: 'c', code: counter });
    const first = pool.linkOf('c')!;
    await first.transport.close?.();
    const result = await render(pool, 3);
    expect(JSON.stringify(result.tree)).toContain('3');
    expect(pool.restarts()).toBe(1);
    expect(pool.linkOf('c')).not.toBe(first);
    // The spare was taken, not a fresh boot: 2 at start, then one refill.
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.boots()).toBe(3);
  });

  it('fails calls with WORKER_CRASHED when workers never say ready, without a respawn loop', async () => {
    const started: WorkerLink[] = [];
    pool = await createWorkerPool({
      size: 1,
      hotSpare: false,
      bootTimeoutMs: 20,
      start: () => startWorker(started, true),
      onClose: async () => {},
    });
    for (let i = 0; i < 5; i++) {
      const error = await pool.health().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorralError);
      expect((error as CorralError).code).toBe('WORKER_CRASHED');
    }
    // The first boot, then the client's bounded respawn (3 failed boots, then a cool-down).
    expect(pool.boots()).toBeLessThanOrEqual(4);
    expect(started.every((link) => link.exited)).toBe(true);
  });
});
