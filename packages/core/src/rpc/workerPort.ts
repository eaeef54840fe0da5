/**
 * @module workerPort
 * The wire between a worker host and its worker entry, both halves, so adapters only hand over
 * their port: the worker serves a runtime with `serveWorkerPort`, the host reads what arrives
 * with `readWorkerMessage`.
 *
 * Requests go structured-cloned, so what the caller passed is what the worker validates (JSON
 * text would quietly turn NaN into null or drop undefined), except a render's or event's two
 * states: once `checkStates` has passed them on the host, JSON text is exact, and they cross as
 * text, which the worker hands to the VM as it is (the VM parses each alone; see StateText).
 * Replies come back as JSON texts, an array of them per message: a call's notifications and its
 * response cross in one message, cheaper than cloning objects, and a result's text reaches
 * `callJson` unparsed. A render's tree is checked by the side that parses it: the host's end
 * (`decodeOutbound`), unless the caller takes the text, when the worker does.
 */
import { createSystemClock, type Clock } from '../clock.js';
import type { Runtime } from '../runtime/createRuntime.js';
import { StateText, checkStates } from '../states.js';
import { createRuntimeService, type RuntimeService } from './createRuntimeService.js';
import { decodeOutbound, encodeOutbound, type PostHints } from './transport.js';

/** Posted once by a worker entry when it takes requests; never an RPC message. */
export const WORKER_READY = 'corral:worker-ready';

/** The worker's side of its port: `postMessage` structured-clones, `on` receives requests. */
export interface WorkerPort {
  postMessage(message: string | string[]): void;
  on(listener: (message: unknown) => void): () => void;
  /**
   * Take the next queued message now, if there is one, bypassing `on` (Node:
   * `receiveMessageOnPort`). Only needed for `spinMs`; Web Workers have no such call.
   */
  receive?(): { message: unknown } | undefined;
}

export interface ServeOptions {
  /**
   * After answering a call, poll `receive` for up to this long before the thread goes back to
   * sleep in its event loop, when the previous call also came within this long. A sleeping
   * thread takes tens of microseconds to wake (measured: a bare postMessage round trip took
   * 82–86 µs against 13–25 µs with the worker polling), and it comes back with cold caches, so
   * back-to-back calls are answered sooner. The price is CPU: a burst's last call burns up to
   * `spinMs` for nothing, and polling competes with the host's threads for cores. Default 0
   * (off); needs `receive`.
   */
  spinMs?: number;
  /** Times the polling and schedules lone notifications. Default: the system clock. */
  clock?: Clock;
}

/**
 * Serve `runtime` over the worker's port, then say `WORKER_READY`. A response leaves at once,
 * with the notifications its call emitted before it; notifications alone go on the next timer
 * tick (the clock's `setTimeout`, which Web Workers have too).
 */
export function serveWorkerPort(
  runtime: Runtime,
  port: WorkerPort,
  options: ServeOptions = {},
): RuntimeService {
  const clock = options.clock ?? createSystemClock();
  let batch: string[] = [];
  // The timer that will send notifications posted outside a call; a response takes them first.
  let scheduled: unknown = null;
  const flush = (): void => {
    if (scheduled !== null) {
      clock.clearTimeout(scheduled);
      scheduled = null;
    }
    if (batch.length === 0) return;
    port.postMessage(batch);
    batch = [];
  };
  const spinMs = port.receive && options.spinMs !== undefined && options.spinMs > 0 ? options.spinMs : 0;
  let deliver: ((message: unknown) => void) | null = null;
  let answeredAt = -Infinity; // when the latest response left
  let waited = Infinity; // how long the thread waited for the latest request
  const arrived = (message: unknown): void => {
    waited = clock.now() - answeredAt;
    deliver?.(readWorkerRequest(message));
  };
  /** After a response: wait for the next request by polling, if the last one came soon enough. */
  const poll = (): void => {
    answeredAt = clock.now();
    if (waited > spinMs || !deliver) return;
    const until = answeredAt + spinMs;
    do {
      const next = port.receive!();
      // Handled once this response's turn has unwound, not inside it (no recursion).
      if (next) return queueMicrotask(() => arrived(next.message));
    } while (clock.now() < until);
  };
  const service = createRuntimeService(
    runtime,
    {
      post(message) {
        batch.push(encodeOutbound(message));
        if (typeof message === 'object' && message !== null && 'id' in message) {
          flush();
          if (spinMs > 0) poll();
        } else if (scheduled === null) {
          // A call's own notifications (its diagnostic, its logs) leave with its response,
          // which cancels this timer: no timer fires per call.
          scheduled = clock.setTimeout(flush, 0);
        }
      },
      on(listener) {
        deliver = listener;
        const off = port.on(arrived);
        return () => {
          deliver = null;
          off();
        };
      },
    },
    // The host's end (readWorkerMessage) parses every render tree it receives, so it checks
    // them too, and the worker does not parse them a second time; unless the caller takes the
    // result as text (callJson), which the host does not parse.
    (request) => ({ deferTreeCheck: !checkInWorker.has(request as object) }),
  );
  port.postMessage(WORKER_READY);
  return service;
}

/**
 * Marks a call whose states follow as JSON texts: `[STATE_TEXTS, request, pluginState,
 * globalState, checkInWorker]`; with `checkInWorker`, the worker checks a render's tree itself.
 */
const STATE_TEXTS = 'corral:state-texts';
/** The same, written by `writeWorkerMessage` from states that passed `checkStates` on the host. */
const CHECKED_STATE_TEXTS = 'corral:state-texts/checked';
/** Requests whose render tree the worker checks before answering (the host will not parse it). */
const checkInWorker = new WeakSet<object>();

/**
 * Host side: what to post to a worker for `message`. A render or event whose states are plain
 * JSON sends them as texts; anything else goes as it is, and the worker answers it as it would
 * any message (INVALID_STATE for a state JSON cannot carry, INVALID_REQUEST for the rest).
 */
export function writeWorkerMessage(message: unknown, hints?: PostHints): unknown {
  const m = message as { op?: unknown; params?: unknown };
  if (m === null || typeof m !== 'object' || (m.op !== 'render' && m.op !== 'event')) return message;
  const params = m.params as Record<string, unknown> | null;
  if (typeof params !== 'object' || params === null || !('pluginState' in params && 'globalState' in params))
    return message;
  if (!hints?.statesChecked && checkStates(params) !== null) return message;
  const { pluginState, globalState, ...rest } = params;
  const texts: unknown[] = [
    CHECKED_STATE_TEXTS,
    { ...m, params: rest },
    JSON.stringify(pluginState),
    JSON.stringify(globalState),
  ];
  // A result the caller takes as text is not parsed on this side, so the worker checks its tree.
  if (hints?.json) texts.push(true);
  return texts;
}

/** Worker side: the request `writeWorkerMessage` sent, its states as `StateText`s. */
export function readWorkerRequest(message: unknown): unknown {
  if (!Array.isArray(message) || message.length < 4 || message.length > 5) return message;
  if (message[0] !== STATE_TEXTS && message[0] !== CHECKED_STATE_TEXTS) return message;
  const checked = message[0] === CHECKED_STATE_TEXTS;
  const [, request, pluginState, globalState, checkHere] = message as [
    string,
    unknown,
    unknown,
    unknown,
    unknown,
  ];
  const params = (request as { params?: unknown } | null)?.params;
  // Anything else is answered INVALID_REQUEST, like any malformed message.
  if (typeof pluginState !== 'string' || typeof globalState !== 'string') return message;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return request;
  Object.assign(params, {
    pluginState: new StateText(pluginState, checked),
    globalState: new StateText(globalState, checked),
  });
  if (checkHere === true) checkInWorker.add(request as object);
  return request;
}

/**
 * Host side: hand each message a worker posted to `listener`, decoded (`WORKER_READY` as is).
 * Render trees are checked here (see `decodeOutbound`); when one fails, the call's diagnostic,
 * which the worker sent just before the response in the same message, gets the error's code.
 */
export function readWorkerMessage(message: unknown, listener: (message: unknown) => void): void {
  if (message === WORKER_READY) return listener(message);
  if (!Array.isArray(message)) return;
  const decoded = (message as string[]).map(decodeOutbound);
  for (let i = 0; i < decoded.length; i++) {
    const m = decoded[i] as { checkFailed?: boolean; error?: { code: string } };
    if (!m.checkFailed) continue;
    delete m.checkFailed;
    for (let j = i - 1; j >= 0; j--) {
      const n = decoded[j] as { notification?: string; diagnostic?: { kind?: string; errorCode?: string } };
      if (n.notification === 'diagnostic' && n.diagnostic?.kind === 'call') {
        n.diagnostic.errorCode = m.error!.code;
        break;
      }
    }
  }
  for (const m of decoded) listener(m);
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
 * boot. Each round costs ~5-10 ms and the first ~30-40 ms: a pool's first workers, whose boot
 * the user waits for, run 1 light round (`heavy` false), replacements all 10 (~2 ms).
 */
export async function warmUpRuntime(runtime: Runtime, rounds = 10, heavy = true): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const warm = {
      pluginId: 'warm-up',
      widgetId: 'main',
      pluginState: { n: round || !heavy ? 100 : 5000 },
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
