/**
 * core's worker pool and worker wire, with in-process "workers": each is a real runtime served
 * by `serveWorkerPort` on one end of an in-process pipe, written to by `writeWorkerMessage` and
 * read by `readWorkerMessage` on the other — everything a thread adapter runs, minus the thread (worker-node's fault suite runs the
 * same pool over real threads).
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { afterEach, describe, expect, it } from 'vitest';
import { CorralError } from '@corral/contracts';
import {
  type Clock,
  createInProcessTransportPair,
  createRuntime,
  createWorkerPool,
  readWorkerMessage,
  serveWorkerPort,
  writeWorkerMessage,
  type WorkerEndpoint,
  type WorkerPool,
} from '@corral/core';
import { readFixtures } from './fixtures.js';

const { counter } = readFixtures();

/**
 * A minimal fake clock, local to these tests: time moves only when `advance` moves it, firing
 * due timers in order and letting promise jobs run between them.
 */
function fakeClock(): Clock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    now: () => now,
    epochNow: () => 1_700_000_000_000 + now,
    setTimeout(callback, ms) {
      timers.set(++nextId, { at: now + Math.max(0, ms), callback });
      return nextId;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        await settle();
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].callback();
      }
      now = until;
      await settle();
    },
  };
}

/** Endpoints the pool has terminated. */
const terminated = new WeakSet<WorkerEndpoint>();

/** An in-process worker's endpoint, as the pool gets one from a host; `silent` ones never say ready. */
function startWorker(started: WorkerEndpoint[], silent = false): WorkerEndpoint {
  const [host, worker] = createInProcessTransportPair();
  const endpoint: WorkerEndpoint = {
    postMessage: (message) => host.post(message),
    on: (listener) => host.on(listener),
    onError: (listener) => host.onClose!(listener),
    terminate: () => {
      terminated.add(endpoint);
      return host.close!();
    },
  };
  started.push(endpoint);
  if (!silent) {
    void createRuntime({ variant: quickjs }).then((runtime) =>
      serveWorkerPort(runtime, { postMessage: (m) => worker.post(m), on: (l) => worker.on(l) }),
    );
  }
  return endpoint;
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
    const started: WorkerEndpoint[] = [];
    pool = await createWorkerPool({ size: 2, start: () => startWorker(started) });
    // The members first; the spare boots once the pool is idle after its first calls, not
    // beside them.
    expect(pool.boots()).toBe(2);
    await pool.loadPlugin({ pluginId: 'c', code: counter });
    const result = await render(pool, 7);
    expect(JSON.stringify(result.tree)).toContain('7');
    expect(started).toContain(pool.linkOf('c')!.endpoint);
    while (!pool.spareReady()) await new Promise((r) => setTimeout(r, 1));
    expect(pool.boots()).toBe(3);
  });

  it('boots the spare after 1 s when no call comes, and not before', async () => {
    const started: WorkerEndpoint[] = [];
    const clock = fakeClock();
    pool = await createWorkerPool({ size: 1, clock, start: () => startWorker(started) });
    await clock.advance(999);
    expect(pool.boots()).toBe(1);
    await clock.advance(1);
    expect(pool.boots()).toBe(2);
    while (!pool.spareReady()) await new Promise((r) => setTimeout(r, 1));
  });

  it('with spareAtStart, resolves only once the spare booted beside the members', async () => {
    const started: WorkerEndpoint[] = [];
    const clock = fakeClock();
    pool = await createWorkerPool({ size: 2, clock, spareAtStart: true, start: () => startWorker(started) });
    expect(pool.boots()).toBe(3);
    expect(pool.spareReady()).toBe(true);
    // No second spare later: the idle-time boot is not armed.
    await pool.loadPlugin({ pluginId: 'c', code: counter });
    await clock.advance(5_000);
    expect(pool.boots()).toBe(3);
  });

  it('with spareAtStart, a spare that cannot boot does not keep the pool from starting', async () => {
    const started: WorkerEndpoint[] = [];
    const clock = fakeClock();
    let memberUp = false;
    const creating = createWorkerPool({
      size: 1,
      clock,
      spareAtStart: true,
      // The spare starts first (beside the member) and never says ready.
      start: () => {
        const endpoint = startWorker(started, started.length === 0);
        if (started.length === 2) endpoint.on(() => (memberUp = true));
        return endpoint;
      },
    });
    while (!memberUp) await new Promise((r) => setTimeout(r, 1));
    await clock.advance(10_000); // the spare's boot timeout
    pool = await creating;
    expect(pool.spareReady()).toBe(false);
    await pool.loadPlugin({ pluginId: 'c', code: counter });
    expect(JSON.stringify((await render(pool, 4)).tree)).toContain('4');
  });

  it('replaces a worker that dies with the spare and reloads its plugins', async () => {
    const started: WorkerEndpoint[] = [];
    pool = await createWorkerPool({ size: 1, start: () => startWorker(started) });
    await pool.loadPlugin({ pluginId: 'c', code: counter });
    while (!pool.spareReady()) await new Promise((r) => setTimeout(r, 1));
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
    const started: WorkerEndpoint[] = [];
    const clock = fakeClock();
    const creating = createWorkerPool({
      size: 1,
      hotSpare: false,
      clock,
      start: () => startWorker(started, true),
    });
    // Silent until the default 10 s boot timeout, not a moment before.
    await clock.advance(9_999);
    expect(pool).toBeNull();
    await clock.advance(1);
    pool = await creating;
    const crashed = async () => {
      const error = await pool!.health().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorralError);
      expect((error as CorralError).code).toBe('WORKER_CRASHED');
    };
    // The client's bounded respawn: 3 more boots, each waiting out its timeout, backing off
    // between them; a call meanwhile fails once the last boot has.
    const during = crashed();
    for (let i = 0; i < 3; i++) await clock.advance(10_200);
    await during;
    expect(pool.boots()).toBe(4);
    // Then the cool-down (5 s): calls fail at once, with no boot and no time passing.
    for (let i = 0; i < 5; i++) await crashed();
    await clock.advance(4_000);
    await crashed();
    expect(pool.boots()).toBe(4);
    // After it, a call tries once more (the failures in a row still count), then cools down again.
    await clock.advance(1_000);
    const retried = crashed();
    await clock.advance(10_000);
    await retried;
    expect(pool.boots()).toBe(5);
    await clock.advance(30_000);
    expect(pool.boots()).toBe(5);
    expect(started.every((endpoint) => terminated.has(endpoint))).toBe(true);
    expect(pool.live()).toBe(0);
  });
});

describe('the worker wire', () => {
  const params = { pluginId: 'c', widgetId: 'main', pluginState: { count: 2 }, globalState: {} };

  it('sends plain states as JSON texts and leaves everything else as it is', () => {
    const request = { id: 1, op: 'render', params };
    const written = writeWorkerMessage(request);
    expect(written).toEqual([
      expect.any(String),
      { id: 1, op: 'render', params: { pluginId: 'c', widgetId: 'main' } },
      '{"count":2}',
      '{}',
    ]);
    // The caller's request is not modified.
    expect(request.params.pluginState).toEqual({ count: 2 });
    // A state JSON text would rewrite, a missing state and other ops go as they are.
    for (const message of [
      { id: 2, op: 'render', params: { ...params, pluginState: { count: Number.NaN } } },
      { id: 3, op: 'event', params: { pluginId: 'c', widgetId: 'main', pluginState: {} } },
      { id: 4, op: 'loadPlugin', params: { pluginId: 'c', code: counter } },
      'not a request',
    ]) {
      expect(writeWorkerMessage(message)).toBe(message);
    }
  });

  it('answers a state text that is not one JSON value with INVALID_STATE, and stays usable', async () => {
    const [host, worker] = createInProcessTransportPair();
    const runtime = await createRuntime({ variant: quickjs });
    serveWorkerPort(runtime, { postMessage: (m) => worker.post(m), on: (l) => worker.on(l) });
    const replies = new Map<
      number,
      { ok: boolean; result?: unknown; error?: { code: string; details?: unknown } }
    >();
    host.on((message) =>
      readWorkerMessage(message, (m) => {
        const reply = m as { id?: number; ok: boolean };
        if (typeof reply.id === 'number') replies.set(reply.id, reply);
      }),
    );
    const ask = async (id: number, message: unknown) => {
      host.post(message);
      while (!replies.has(id)) await new Promise((r) => setTimeout(r, 1));
      return replies.get(id)!;
    };
    expect((await ask(1, { id: 1, op: 'loadPlugin', params: { pluginId: 'c', code: counter } })).ok).toBe(
      true,
    );
    const [checkedMark, request] = writeWorkerMessage({ id: 0, op: 'render', params }) as [string, object];
    // core's writer vouches that it checked the values; a hand-made message does not.
    const handMade = 'corral:state-texts';
    expect(checkedMark).not.toBe(handMade);
    const texts = (mark: string, id: number, pluginState: string, globalState = '{}') => [
      mark,
      { ...request, id },
      pluginState,
      globalState,
    ];
    const notOneValue: [string, string, 'pluginState' | 'globalState'][] = [
      ['{"count":1} {"count":2}', '{}', 'pluginState'],
      // Would override the other state if the texts were pasted into one JSON text.
      ['{"count":1},"globalState":{"x":1}', '{}', 'pluginState'],
      ['{"count":1}', '{"a":1}\u001e{"b":2}', 'globalState'],
      ['{"count":1}\u0000', '{}', 'pluginState'],
      ['{"count":', '{}', 'pluginState'],
      ['{"count":1}', '', 'globalState'],
      ['{}', '{"a":[1,2}', 'globalState'],
    ];
    // JSON text, but not a value JSON carries, or nested past the bound every host applies:
    // refused unless core's writer vouched for the text (it would never write one).
    const notPlain: [string, string, 'pluginState' | 'globalState'][] = [
      ['{"count":1e400}', '{}', 'pluginState'],
      ['{}', '['.repeat(300) + ']'.repeat(300), 'globalState'],
    ];
    let id = 10;
    for (const [mark, cases] of [
      [checkedMark, notOneValue],
      [handMade, notOneValue],
      [handMade, notPlain],
    ] as const) {
      for (const [pluginState, globalState, state] of cases) {
        const reply = await ask(++id, texts(mark, id, pluginState, globalState));
        expect(reply.ok).toBe(false);
        expect(reply.error).toMatchObject({ code: 'INVALID_STATE', details: { state } });
      }
    }
    for (const mark of [checkedMark, handMade]) {
      const ok = await ask(++id, texts(mark, id, '{"count":41}'));
      expect(ok.ok).toBe(true);
      expect(JSON.stringify((ok.result as { text: string }).text ?? ok.result)).toContain('Count: 41');
    }
    const ok = await ask(++id, texts(checkedMark, id, '{"count":41}'));
    expect(ok.ok).toBe(true);
    expect(JSON.stringify((ok.result as { text: string }).text ?? ok.result)).toContain('Count: 41');
    runtime.dispose();
  });
});

describe('where a render tree is checked', () => {
  it('by the host, which parses it anyway; by the worker when the caller takes the result as text', async () => {
    const runtime = await createRuntime({ variant: quickjs });
    const posted: string[] = [];
    let deliver: (message: unknown) => void = () => undefined;
    serveWorkerPort(runtime, {
      postMessage: (m) => void (Array.isArray(m) && posted.push(...m)),
      on: (l) => ((deliver = l), () => undefined),
    });
    await runtime.loadPlugin({ pluginId: 'c', code: counter });
    const params = { pluginId: 'c', widgetId: 'main', pluginState: { count: 4 }, globalState: {} };
    deliver(writeWorkerMessage({ id: 1, op: 'render', params }));
    deliver(writeWorkerMessage({ id: 2, op: 'render', params }, { json: true }));
    const reply = (id: number) => posted.find((t) => t.startsWith(`{"id":${id},`));
    while (!reply(1) || !reply(2)) await new Promise((r) => setTimeout(r, 1));
    expect(reply(1)!.startsWith('{"id":1,"ok":true,"check":{"widgetId":"main",')).toBe(true);
    expect(reply(2)!.startsWith('{"id":2,"ok":true,"result":{"tree":')).toBe(true);
    runtime.dispose();
  });
});

describe('how the worker batches what it posts', () => {
  it("sends a call's notifications with its response in one message, and others on the next tick", async () => {
    // Count the timers that fire: a call's own notifications must not leave one behind.
    const realSetTimeout = globalThis.setTimeout;
    let fired = 0;
    globalThis.setTimeout = ((callback: () => void, ms?: number) =>
      realSetTimeout(() => {
        fired++;
        callback();
      }, ms)) as typeof setTimeout;
    const settle = () => new Promise((r) => realSetTimeout(r, 20));
    const runtime = await createRuntime({ variant: quickjs });
    try {
      const messages: string[][] = [];
      let deliver: (message: unknown) => void = () => undefined;
      serveWorkerPort(runtime, {
        postMessage: (m) => void (Array.isArray(m) && messages.push(m)),
        on: (l) => ((deliver = l), () => undefined),
      });
      // A load made on the runtime itself, outside any request: its diagnostic goes alone, on
      // a timer (and the runtime builds its spare VM on another).
      await runtime.loadPlugin({ pluginId: 'c', code: counter });
      await settle();
      expect(messages).toHaveLength(1);
      expect(messages[0]!.map((t) => JSON.parse(t) as unknown)).toMatchObject([
        { notification: 'diagnostic', diagnostic: { op: 'loadPlugin' } },
      ]);
      expect(fired).toBeGreaterThanOrEqual(1);
      const params = { pluginId: 'c', widgetId: 'main', pluginState: { count: 4 }, globalState: {} };
      for (const id of [1, 2, 3]) {
        const firedBefore = fired;
        deliver(writeWorkerMessage({ id, op: 'render', params }));
        await settle();
        // One more message per call, its diagnostic first; the timer the diagnostic armed was
        // cancelled by the response, so no timer fired for the call.
        expect(messages).toHaveLength(1 + id);
        const [diagnostic, response] = messages[id]!.map((t) => JSON.parse(t) as unknown);
        expect(diagnostic).toMatchObject({ notification: 'diagnostic', diagnostic: { op: 'render' } });
        expect(response).toMatchObject({ id, ok: true });
        expect(fired).toBe(firedBefore);
      }
    } finally {
      globalThis.setTimeout = realSetTimeout;
      runtime.dispose();
    }
  });
});

describe('serveWorkerPort spinMs', () => {
  /**
   * A port whose `receive` hands out what the test queued, as Node's receiveMessageOnPort takes
   * what the host posted while the worker was busy; `on` delivers what the test sends later.
   * The worker's clock is fake: each poll takes exactly 1 ms of it, and nothing else moves it.
   */
  async function served(spinMs: number) {
    const runtime = await createRuntime({ variant: quickjs });
    const clock = fakeClock();
    let tick = 0;
    let listener: ((message: unknown) => void) | null = null;
    const queued: unknown[] = [];
    const answered: number[] = [];
    let polls = 0;
    serveWorkerPort(
      runtime,
      {
        postMessage(message) {
          if (!Array.isArray(message)) return; // WORKER_READY
          readWorkerMessage(message, (m) => {
            const id = (m as { id?: unknown }).id;
            if (typeof id === 'number') answered.push(id);
          });
        },
        on(l) {
          listener = l;
          return () => (listener = null);
        },
        receive() {
          polls++;
          tick++;
          return queued.length > 0 ? { message: queued.shift() } : undefined;
        },
      },
      { spinMs, clock: { ...clock, now: () => clock.now() + tick } },
    );
    await runtime.loadPlugin({ pluginId: 'c', code: counter });
    const request = (id: number) => writeWorkerMessage({ id, op: 'render', params: renderParams });
    /** Send through `on`, as an event-loop message, and wait for every answer so far. */
    const send = async (id: number) => {
      listener!(request(id));
      while (!answered.includes(id)) await new Promise((r) => setImmediate(r));
    };
    return {
      runtime,
      queued,
      answered,
      request,
      send,
      polls: () => polls,
      wait: (ms: number) => (tick += ms),
    };
  }
  const renderParams = { pluginId: 'c', widgetId: 'main', pluginState: { count: 1 }, globalState: {} };

  it('after back-to-back calls, takes the next request by polling instead of waiting for the event loop', async () => {
    const s = await served(50);
    await s.send(1); // the first call came after no answer: no polling after it
    expect(s.polls()).toBe(0);
    // Call 3 is already waiting when call 2 is answered (the host sent it meanwhile).
    s.queued.push(s.request(3));
    await s.send(2);
    while (!s.answered.includes(3)) await new Promise((r) => setImmediate(r));
    expect(s.answered).toEqual([1, 2, 3]);
    expect(s.polls()).toBeGreaterThan(0);
    s.runtime.dispose();
  });

  it('polls no longer than spinMs, and not at all after a call that came later than that', async () => {
    const s = await served(5);
    await s.send(1);
    await s.send(2); // came right after answer 1: answer 2 polls for 5 ms, finds nothing, gives up
    expect(s.polls()).toBe(5);
    s.wait(30);
    await s.send(3); // waited 30 ms > spinMs: a quiet spell, so no polling after its answer
    expect(s.polls()).toBe(5);
    s.wait(4);
    await s.send(4); // within spinMs of answer 3: polling again
    expect(s.polls()).toBe(10);
    expect(s.answered).toEqual([1, 2, 3, 4]);
    s.runtime.dispose();
  });

  it('never polls with spinMs 0', async () => {
    const s = await served(0);
    for (let id = 1; id <= 3; id++) await s.send(id);
    expect(s.polls()).toBe(0);
    s.runtime.dispose();
  });
});

describe('writeWorkerMessage hints', () => {
  it('checks the states again unless the client says it just did', () => {
    const message = {
      id: 1,
      op: 'render',
      params: { pluginId: 'c', widgetId: 'main', pluginState: { n: Number.NaN }, globalState: {} },
    };
    // Unchecked: NaN would become null as text, so the message goes as it is, to be refused.
    expect(writeWorkerMessage(message)).toBe(message);
    // The client refuses such states itself before posting, and says so: no second walk.
    const written = writeWorkerMessage(message, { statesChecked: true }) as unknown[];
    expect(written[2]).toBe('{"n":null}');
  });
});
