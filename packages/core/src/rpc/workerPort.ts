/**
 * @module workerPort
 * The wire between a worker host and its worker entry, both halves, so adapters only hand over
 * their port: the worker serves a runtime with `serveWorkerPort`, the host reads what arrives
 * with `readWorkerMessage`.
 *
 * Requests go structured-cloned, so what the caller passed is what the worker validates (JSON
 * text would quietly turn NaN into null or drop undefined). Replies come back as JSON texts, an
 * array of them per message: a call's notifications and its response cross in one message,
 * cheaper than cloning objects, and a result's text reaches `callJson` unparsed.
 */
import type { Runtime } from '../runtime/createRuntime.js';
import { createRuntimeService, type RuntimeService } from './createRuntimeService.js';
import { WORKER_READY } from './createWorkerPool.js';
import { decodeOutbound, encodeOutbound } from './transport.js';

/** The worker's side of its port: `postMessage` structured-clones, `on` receives requests. */
export interface WorkerPort {
  postMessage(message: string | string[]): void;
  on(listener: (message: unknown) => void): () => void;
}

/**
 * Serve `runtime` over the worker's port, then say `WORKER_READY`. A response leaves at once,
 * with the notifications its call emitted before it; notifications alone go on the next timer
 * tick (`setTimeout`, which Web Workers have too).
 */
export function serveWorkerPort(runtime: Runtime, port: WorkerPort): RuntimeService {
  let batch: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (batch.length === 0) return;
    port.postMessage(batch);
    batch = [];
  };
  const service = createRuntimeService(runtime, {
    post(message) {
      batch.push(encodeOutbound(message));
      if (typeof message === 'object' && message !== null && 'id' in message) flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 0);
      }
    },
    on: (listener) => port.on(listener),
  });
  port.postMessage(WORKER_READY);
  return service;
}

/** Host side: hand each message a worker posted to `listener`, decoded (`WORKER_READY` as is). */
export function readWorkerMessage(message: unknown, listener: (message: unknown) => void): void {
  if (message === WORKER_READY) listener(message);
  else if (Array.isArray(message)) for (const text of message as string[]) listener(decodeOutbound(text));
}

const WARM_UP = `definePlugin({ widgets: { main: { render: function (ctx) {
  var a = [], o = {};
  for (var i = 0; i < ctx.pluginState.n; i++) { a.push([i, "k" + i]); o["k" + (i % 500)] = { v: i }; }
  return { kind: "text", text: JSON.stringify(JSON.parse(JSON.stringify(o))).slice(0, 8) + a.length };
} } } });`;

/**
 * Plugin work before a worker says ready, so a replacement's first calls run warm: a fresh
 * thread's first load took 7–15 ms against 2 ms warm, and a cold first call ran up to 2× slower
 * against the same deadline (measured in Node). One heavy round tiers up the module's code
 * (shared with later threads when the host passes its compiled module); light rounds warm this
 * isolate's own JS. Best effort: a tight limitsCeiling may refuse it, and that must not fail the
 * boot.
 */
export async function warmUpRuntime(runtime: Runtime): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const warm = {
      pluginId: 'warm-up',
      widgetId: 'main',
      pluginState: { n: round ? 100 : 5000 },
      globalState: {},
    };
    try {
      await runtime.loadPlugin({ pluginId: warm.pluginId, code: WARM_UP });
      for (let i = 0; i < 3; i++) await runtime.render(warm);
    } catch {
      return;
    } finally {
      await runtime.disposePlugin({ pluginId: warm.pluginId }).catch(() => undefined);
    }
  }
}
