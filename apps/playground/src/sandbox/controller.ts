/**
 * @module controller
 * Thunks that drive the sandboxes: load, render, event, stop, switch host. Every answer is
 * validated against the contract before it reaches the store, state changes only when a call
 * fully succeeds, and an answer that arrives after the plugin was edited, reloaded or stopped
 * is dropped (each plugin has a generation number).
 */
import {
  CorralError,
  validateDiagnostic,
  validateEventResult,
  validatePluginMeta,
  validateUINode,
  type Dispatch,
  type JSONObject,
  type JSONValue,
  type PluginEvent,
  type RenderResult,
  type RuntimeError,
  type UINode,
} from '@corral/contracts';
import type { HybridCallOptions, HybridLoadOptions, SandboxClient } from '@corral/core';
import { placementOf, type Hosts } from './hosts.js';
import type { AppDispatch, RootState } from '../store/index.js';
import {
  ALLOWED_GLOBAL_ACTIONS,
  globalApplied,
  hostChosen,
  pluginAdded,
  pluginRemoved,
  pluginSelected,
  pluginStateSet,
  sessionReplaced,
  type HostKind,
  type SessionState,
} from '../store/session.js';
import { presetById } from '../presets/presets.js';
import {
  busyChanged,
  eventDone,
  failed,
  forgotten,
  loadStarted,
  loaded,
  memoryReported,
  rendered,
  type SourcePosition,
} from '../store/runtime.js';
import { callLogged, consoleLogged, dispatchesLogged, type DispatchLogEntry } from '../store/log.js';

type Thunk<T = void> = (dispatch: AppDispatch, getState: () => RootState, hosts: Hosts) => Promise<T>;

const generations = new Map<string, number>();
const generation = (id: string) => generations.get(id) ?? 0;
/** Each plugin's calls run one after another, so every call sees the state the previous left. */
const queues = new Map<string, Promise<unknown>>();
/** Aborts the plugin's calls in flight (passed to clients that take a signal). */
const aborts = new Map<string, AbortController>();

function enqueue<T>(id: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(id) ?? Promise.resolve();
  const next = previous.then(task, task);
  queues.set(
    id,
    next.catch(() => undefined),
  );
  return next;
}

function signalFor(id: string): AbortSignal {
  let c = aborts.get(id);
  if (!c || c.signal.aborted) aborts.set(id, (c = new AbortController()));
  return c.signal;
}

export function toRuntimeError(error: unknown): RuntimeError {
  return CorralError.fromUnknown(error).toWire();
}

/**
 * Where a load failed. Prefers `line`/`column` in the error's details; otherwise reads the
 * first `plugin.js:L:C` frame of the structured `details.stack` the runtime attaches.
 */
export function sourcePosition(error: RuntimeError): SourcePosition | undefined {
  const d = (error.details ?? {}) as JSONObject;
  if (typeof d.line === 'number' && d.line >= 1) {
    return { line: d.line, column: typeof d.column === 'number' && d.column >= 1 ? d.column : 1 };
  }
  if (typeof d.stack === 'string') {
    const m = /plugin\.js:(\d+):(\d+)/.exec(d.stack);
    if (m) return { line: Number(m[1]), column: Number(m[2]) };
  }
  return undefined;
}

function invalid(what: string, message: string): CorralError {
  return new CorralError(
    'INVALID_OUTPUT',
    `The sandbox answered ${what} that breaks the contract: ${message}`,
  );
}

function clientOf(hosts: Hosts, host: HostKind): SandboxClient {
  const client = hosts.client(host);
  if (!client) throw new CorralError('WORKER_CRASHED', hosts.unavailable(host) ?? `No ${host} host`);
  return client;
}

/** The longest a diagnostic waits for an idle moment before it reaches the logs. */
const DIAGNOSTICS_LATEST_MS = 100;

/**
 * Forward every host's diagnostics into the logs, validated. They arrive as separate messages
 * just before their call's answer; applied at once, each would re-render the page between a
 * click's event and its render. They are gathered and applied together when the page is next
 * idle (at most DIAGNOSTICS_LATEST_MS later), with the time each arrived.
 */
export function connectDiagnostics(
  hosts: Hosts,
  dispatch: AppDispatch,
  getState: () => RootState,
): () => void {
  let pending: (() => void)[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    for (const apply of batch) apply();
  };
  const whenIdle = (): void =>
    void (typeof requestIdleCallback === 'function'
      ? requestIdleCallback(flush, { timeout: DIAGNOSTICS_LATEST_MS })
      : setTimeout(flush, 0));
  return hosts.onDiagnostic((diagnostic, host) => {
    if (!validateDiagnostic(diagnostic).ok) return;
    const at = Date.now();
    if (diagnostic.kind === 'call') {
      pending.push(() => {
        const memory = getState().runtime[diagnostic.pluginId]?.memoryBytes ?? null;
        dispatch(callLogged({ ...diagnostic, at, host, memoryBytes: memory }));
      });
    } else if (diagnostic.kind === 'log') {
      pending.push(() => dispatch(consoleLogged({ ...diagnostic, at })));
    } else if (diagnostic.kind === 'divergence') {
      const message = `divergence: the ${diagnostic.op} differed in ${diagnostic.fields.join(', ')} between the local preview and the server; adopted the ${diagnostic.adopted}'s result`;
      pending.push(() =>
        dispatch(consoleLogged({ kind: 'log', pluginId: diagnostic.pluginId, level: 'warn', message, at })),
      );
    } else return;
    if (pending.length === 1) whenIdle();
  });
}

async function reportMemory(dispatch: AppDispatch, client: SandboxClient, id: string): Promise<void> {
  try {
    const health = await client.health();
    const p = health.plugins?.find((x) => x.pluginId === id);
    if (p && typeof p.memoryBytes === 'number') dispatch(memoryReported({ id, bytes: p.memoryBytes }));
  } catch {
    // Memory is informative; a host that cannot say is not an error of the plugin.
  }
}

/**
 * Whether state kept from earlier code still fits new code: edits keep the state (as hot reload
 * does) while it has every top-level key of the new `initialState`; otherwise the new code starts
 * from its own.
 */
export function stateFits(state: JSONValue, initial: JSONValue): boolean {
  const isObj = (v: JSONValue): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (initial === null) return true;
  if (!isObj(initial))
    return typeof state === typeof initial && Array.isArray(state) === Array.isArray(initial);
  return isObj(state) && Object.keys(initial).every((k) => Object.hasOwn(state, k));
}

/** Load (or reload) a plugin from the session's code, then render its widgets. */
export function loadPlugin(id: string): Thunk {
  return async (dispatch, getState, hosts) => {
    const gen = generation(id) + 1;
    generations.set(id, gen);
    dispatch(loadStarted(id));
    await enqueue(id, async () => {
      const entry = getState().session.plugins.find((p) => p.id === id);
      if (!entry || generation(id) !== gen) return;
      dispatch(busyChanged({ id, delta: 1 }));
      try {
        const client = clientOf(hosts, entry.host);
        const options: HybridLoadOptions = { signal: signalFor(id), placement: placementOf(entry.host) };
        const meta = await client.loadPlugin({ pluginId: id, code: entry.code, profile: 'default' }, options);
        if (generation(id) !== gen) return;
        const valid = validatePluginMeta(meta);
        if (!valid.ok) throw invalid('plugin metadata', valid.message);
        dispatch(loaded(meta));
        if (!entry.hasState || !stateFits(entry.state, meta.initialState))
          dispatch(pluginStateSet({ id, state: meta.initialState }));
        void reportMemory(dispatch, client, id);
      } catch (error) {
        if (generation(id) !== gen) return;
        const wire = toRuntimeError(error);
        const at = sourcePosition(wire);
        dispatch(failed({ id, op: 'loadPlugin', error: wire, ...(at ? { at } : {}) }));
      } finally {
        dispatch(busyChanged({ id, delta: -1 }));
      }
    });
    if (getState().runtime[id]?.meta && generation(id) === gen) await dispatch(renderPlugin(id));
  };
}

/** One render call, its answer checked against the contract. */
async function renderTree(
  client: SandboxClient,
  id: string,
  widgetId: string,
  pluginState: JSONValue,
  globalState: JSONObject,
  onPreview?: (tree: UINode) => void,
): Promise<UINode> {
  const options: HybridCallOptions<RenderResult> = {
    signal: signalFor(id),
    onPreview: (preview) => {
      if (onPreview && validateUINode(preview?.tree).ok) onPreview(preview.tree);
    },
  };
  const result = await client.render({ pluginId: id, widgetId, pluginState, globalState }, options);
  const valid = validateUINode(result?.tree);
  if (!valid.ok) throw invalid('a UI tree', valid.message);
  return result.tree;
}

/** Render one widget, or every widget the plugin declares. */
export function renderPlugin(id: string, widgetId?: string): Thunk {
  return async (dispatch, getState, hosts) => {
    const gen = generation(id);
    const meta = getState().runtime[id]?.meta;
    if (!meta) return;
    const widgets = widgetId ? meta.widgets.filter((w) => w.id === widgetId) : meta.widgets;
    for (const w of widgets) {
      await enqueue(id, async () => {
        const state = getState();
        const entry = state.session.plugins.find((p) => p.id === id);
        if (!entry || generation(id) !== gen) return;
        dispatch(busyChanged({ id, delta: 1 }));
        try {
          const client = clientOf(hosts, entry.host);
          const global = state.session.global as unknown as JSONObject;
          // In production, auto renders locally first: show that tree until the server's comes.
          const tree = await renderTree(client, id, w.id, entry.state, global, (preview) => {
            if (generation(id) === gen) dispatch(rendered({ id, widgetId: w.id, tree: preview }));
          });
          if (generation(id) !== gen) return;
          dispatch(rendered({ id, widgetId: w.id, tree }));
        } catch (error) {
          if (generation(id) !== gen) return;
          dispatch(failed({ id, op: 'render', error: toRuntimeError(error) }));
          const client = hosts.client(entry.host);
          if (client) void reportMemory(dispatch, client, id);
        } finally {
          dispatch(busyChanged({ id, delta: -1 }));
        }
      });
    }
  };
}

/**
 * Run a handler; apply the new plugin state and the accepted global dispatches; re-render.
 *
 * When no global state changed, the plugin's widgets are rendered with the new state right
 * after the event answers, and the store hears of the event, its dispatches and the new trees
 * in one go: no re-render of the page sits between the two calls, and the page changes once.
 * A global change re-renders every plugin, each through its own queue.
 */
export function sendEvent(id: string, widgetId: string, handler: string, event: PluginEvent): Thunk {
  return async (dispatch, getState, hosts) => {
    const gen = generation(id);
    let globalChanged = false;
    await enqueue(id, async () => {
      const state = getState();
      const entry = state.session.plugins.find((p) => p.id === id);
      if (!entry || generation(id) !== gen) return;
      dispatch(busyChanged({ id, delta: 1 }));
      try {
        const client = clientOf(hosts, entry.host);
        const globalState = state.session.global as unknown as JSONObject;
        const params = { pluginId: id, widgetId, handler, event, pluginState: entry.state, globalState };
        const result = await client.event(params, { signal: signalFor(id) });
        if (generation(id) !== gen) return;
        const valid = validateEventResult(result);
        if (!valid.ok) throw invalid('an event result', valid.message);
        const global = result.dispatches.filter((d) => d.meta.scope === 'global' && d.meta.accepted);
        const renders: { widgetId: string; tree?: UINode; error?: unknown }[] = [];
        const widgets = global.length ? [] : (getState().runtime[id]?.meta?.widgets ?? []);
        for (const w of widgets) {
          try {
            renders.push({
              widgetId: w.id,
              tree: await renderTree(client, id, w.id, result.pluginState, globalState),
            });
          } catch (error) {
            renders.push({ widgetId: w.id, error });
          }
          if (generation(id) !== gen) return;
        }
        dispatch(pluginStateSet({ id, state: result.pluginState }));
        dispatch(dispatchesLogged(result.dispatches.map(toLogEntry)));
        if (global.length) {
          dispatch(globalApplied(global));
          globalChanged = true;
        }
        dispatch(eventDone(id));
        for (const r of renders) {
          if (r.tree) dispatch(rendered({ id, widgetId: r.widgetId, tree: r.tree }));
          else dispatch(failed({ id, op: 'render', error: toRuntimeError(r.error) }));
        }
        if (renders.some((r) => !r.tree)) void reportMemory(dispatch, client, id);
      } catch (error) {
        if (generation(id) !== gen) return;
        dispatch(failed({ id, op: 'event', error: toRuntimeError(error) }));
      } finally {
        dispatch(busyChanged({ id, delta: -1 }));
      }
    });
    // Every plugin reads the global state: all of them render again.
    if (globalChanged) await Promise.all(getState().session.plugins.map((p) => dispatch(renderPlugin(p.id))));
  };
}

function toLogEntry(d: Dispatch): DispatchLogEntry {
  return {
    dispatchId: d.meta.dispatchId,
    pluginId: d.meta.pluginId,
    scope: d.meta.scope,
    type: d.type,
    payload: d.payload ?? null,
    accepted: d.meta.accepted,
    reason: d.meta.reason ?? null,
    ts: d.meta.ts,
    source: d.meta.source,
  };
}

/**
 * Stop the plugin's running call: its signal aborts it (the host stops it for real and the call
 * settles with CANCELLED), answers still in flight are dropped, and the plugin is loaded again.
 */
export function stopPlugin(id: string): Thunk {
  return async (dispatch) => {
    generations.set(id, generation(id) + 1);
    aborts.get(id)?.abort();
    aborts.delete(id);
    queues.delete(id);
    dispatch(busyChanged({ id, delta: -Infinity }));
    await dispatch(loadPlugin(id));
  };
}

/**
 * Move a plugin to another placement: the router's `setPlacement` (its next call loads it on the
 * new side first). Same code, same state, so the same tree.
 */
export function switchHost(id: string, host: HostKind): Thunk {
  return async (dispatch, getState, hosts) => {
    const entry = getState().session.plugins.find((p) => p.id === id);
    if (!entry || entry.host === host) return;
    dispatch(hostChosen({ id, host }));
    if (getState().runtime[id]?.meta && hosts.router.placementOf(id)) {
      hosts.router.setPlacement(id, placementOf(host));
      await dispatch(renderPlugin(id));
    } else {
      await dispatch(loadPlugin(id));
    }
  };
}

export function removePlugin(id: string): Thunk {
  return async (dispatch, getState, hosts) => {
    const entry = getState().session.plugins.find((p) => p.id === id);
    generations.set(id, generation(id) + 1);
    dispatch(pluginRemoved(id));
    dispatch(forgotten(id));
    const client = entry && hosts.client(entry.host);
    if (client) await client.disposePlugin({ pluginId: id }).catch(() => undefined);
  };
}

export { ALLOWED_GLOBAL_ACTIONS };

/** Host new plugins start on: the in-browser worker when this page has one. */
export function defaultHost(hosts: Hosts): HostKind {
  return hosts.unavailable('worker') === null ? 'worker' : 'server';
}

function newId(base: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `${base}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Add a preset's plugins to the session and load them. */
export function addPreset(presetId: string): Thunk {
  return async (dispatch, _getState, hosts) => {
    const preset = presetById(presetId);
    if (!preset) return;
    const host = defaultHost(hosts);
    const ids: string[] = [];
    for (const p of preset.plugins) {
      const id = newId(p.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
      dispatch(pluginAdded({ id, name: p.name, code: p.code, host }));
      if (p.state !== undefined) dispatch(pluginStateSet({ id, state: p.state }));
      ids.push(id);
    }
    dispatch(pluginSelected(ids[0]!));
    await Promise.all(ids.map((id) => dispatch(loadPlugin(id))));
  };
}

/** Replace the whole session (a link or an imported file) and load its plugins. */
export function openSession(session: SessionState): Thunk {
  return async (dispatch, getState, hosts) => {
    for (const p of getState().session.plugins) await dispatch(removePlugin(p.id));
    const usable = {
      ...session,
      plugins: session.plugins.map((p) =>
        hosts.unavailable(p.host) ? { ...p, host: defaultHost(hosts) } : p,
      ),
    };
    dispatch(sessionReplaced(usable));
    await Promise.all(usable.plugins.map((p) => dispatch(loadPlugin(p.id))));
  };
}
