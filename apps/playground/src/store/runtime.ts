/**
 * @module runtime
 * What the sandboxes last said about each plugin: its metadata, its rendered trees, its status
 * and its last typed error. Never serialized: a reopened session reloads and renders again.
 */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { PluginMeta, RuntimeError, UINode } from '@corral/contracts';

/** ok: the last call succeeded; degraded: a call failed but the plugin answers; errored: it does not. */
export type PluginStatus = 'loading' | 'ok' | 'degraded' | 'errored';

/** Where in the plugin's source a load failed (1-based). */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface PluginRuntime {
  status: PluginStatus;
  meta: PluginMeta | null;
  trees: Record<string, UINode>;
  /** The last failure and the call it came from; cleared by the next success of that kind. */
  error: (RuntimeError & { op: string; at?: SourcePosition; cause?: string }) | null;
  /** Calls in flight. */
  busy: number;
  /** Plugin memory as last reported by `health` (bytes). */
  memoryBytes: number | null;
}

export type RuntimeState = Record<string, PluginRuntime>;

const empty = (): PluginRuntime => ({
  status: 'loading',
  meta: null,
  trees: {},
  error: null,
  busy: 0,
  memoryBytes: null,
});

function entry(state: RuntimeState, id: string): PluginRuntime {
  return (state[id] ??= empty());
}

export const runtimeSlice = createSlice({
  name: 'runtime',
  initialState: {} as RuntimeState,
  reducers: {
    loadStarted(state, action: PayloadAction<string>) {
      const r = entry(state, action.payload);
      r.status = 'loading';
    },
    loaded(state, action: PayloadAction<PluginMeta>) {
      const r = entry(state, action.payload.pluginId);
      r.meta = action.payload;
      r.status = 'ok';
      r.error = null;
      // Widgets the new code no longer declares must not linger.
      for (const id of Object.keys(r.trees))
        if (!action.payload.widgets.some((w) => w.id === id)) delete r.trees[id];
    },
    rendered(state, action: PayloadAction<{ id: string; widgetId: string; tree: UINode }>) {
      const r = entry(state, action.payload.id);
      r.trees[action.payload.widgetId] = action.payload.tree;
      if (r.status !== 'errored' || r.error?.op !== 'loadPlugin') r.status = 'ok';
      if (r.error && r.error.op !== 'loadPlugin') r.error = null;
    },
    eventDone(state, action: PayloadAction<string>) {
      const r = entry(state, action.payload);
      if (r.error && r.error.op === 'event') r.error = null;
      if (r.status === 'degraded' && !r.error) r.status = 'ok';
    },
    failed(
      state,
      action: PayloadAction<{ id: string; op: string; error: RuntimeError; at?: SourcePosition }>,
    ) {
      const { id, op, error, at } = action.payload;
      const r = entry(state, id);
      // PLUGIN_ERRORED says only that the plugin is disabled; keep the failure that disabled it.
      const cause = error.code === 'PLUGIN_ERRORED' && r.error ? (r.error.cause ?? r.error.code) : undefined;
      r.error = { ...error, op, ...(at ? { at } : {}), ...(cause ? { cause } : {}) };
      const fatal = op === 'loadPlugin' || error.code === 'PLUGIN_ERRORED' || error.code === 'UNKNOWN_PLUGIN';
      r.status = fatal ? 'errored' : 'degraded';
      if (op === 'loadPlugin') r.meta = null;
    },
    busyChanged(state, action: PayloadAction<{ id: string; delta: number }>) {
      const r = entry(state, action.payload.id);
      r.busy = Math.max(0, r.busy + action.payload.delta);
    },
    memoryReported(state, action: PayloadAction<{ id: string; bytes: number }>) {
      entry(state, action.payload.id).memoryBytes = action.payload.bytes;
    },
    forgotten(state, action: PayloadAction<string>) {
      delete state[action.payload];
    },
  },
});

export const { loadStarted, loaded, rendered, eventDone, failed, busyChanged, memoryReported, forgotten } =
  runtimeSlice.actions;
