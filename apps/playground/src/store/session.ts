/**
 * @module session
 * The part of the store a shared link carries: each plugin's code, its host and its state (the
 * host owns plugin state; plugins only ever see snapshots), and the global state the plugins
 * read and change through allowed global actions.
 */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { Dispatch, JSONValue } from '@corral/contracts';

/**
 * Where a plugin runs: a Web Worker in this tab (`worker`, the router's `local`), the Corral
 * server, or `auto` (the hybrid router's policy decides each call).
 */
export type HostKind = 'worker' | 'server' | 'auto';

export interface PluginEntry {
  /** The id the plugin is loaded under (unique per session). */
  id: string;
  /** What the user calls it (a preset's name, or their own). */
  name: string;
  code: string;
  host: HostKind;
  /** The plugin's state, owned here; `null` with `hasState: false` until its first load. */
  state: JSONValue;
  hasState: boolean;
}

/** The host's global state: what every plugin sees as `ctx.globalState`. */
export interface GlobalState {
  counter: number;
  notifications: string[];
}

export interface SessionState {
  plugins: PluginEntry[];
  global: GlobalState;
  /** The plugin open in the editor. */
  selectedId: string | null;
}

/** Global action types this host applies; every other global dispatch is refused. */
export const ALLOWED_GLOBAL_ACTIONS = ['counter/increment', 'notifications/add'] as const;

export const initialGlobal: GlobalState = { counter: 0, notifications: [] };

const initialState: SessionState = { plugins: [], global: initialGlobal, selectedId: null };

/** The playground's reducer for global actions. Refuses payloads it cannot apply. */
export function applyGlobal(global: GlobalState, dispatch: Pick<Dispatch, 'type' | 'payload'>): GlobalState {
  switch (dispatch.type) {
    case 'counter/increment': {
      const p = dispatch.payload as { by?: unknown } | null | undefined;
      const by = p && typeof p === 'object' && typeof p.by === 'number' && Number.isFinite(p.by) ? p.by : 1;
      return { ...global, counter: global.counter + by };
    }
    case 'notifications/add': {
      const p = dispatch.payload as { text?: unknown } | null | undefined;
      const text =
        p && typeof p === 'object' && typeof p.text === 'string' ? p.text : JSON.stringify(p ?? null);
      return { ...global, notifications: [...global.notifications, text].slice(-20) };
    }
    default:
      return global;
  }
}

export const sessionSlice = createSlice({
  name: 'session',
  initialState,
  reducers: {
    pluginAdded(state, action: PayloadAction<Omit<PluginEntry, 'state' | 'hasState'>>) {
      state.plugins.push({ ...action.payload, state: null, hasState: false });
      state.selectedId = action.payload.id;
    },
    pluginRemoved(state, action: PayloadAction<string>) {
      state.plugins = state.plugins.filter((p) => p.id !== action.payload);
      if (state.selectedId === action.payload) state.selectedId = state.plugins[0]?.id ?? null;
    },
    pluginSelected(state, action: PayloadAction<string>) {
      state.selectedId = action.payload;
    },
    codeEdited(state, action: PayloadAction<{ id: string; code: string }>) {
      const p = state.plugins.find((x) => x.id === action.payload.id);
      if (p) p.code = action.payload.code;
    },
    hostChosen(state, action: PayloadAction<{ id: string; host: HostKind }>) {
      const p = state.plugins.find((x) => x.id === action.payload.id);
      if (p) p.host = action.payload.host;
    },
    pluginStateSet(state, action: PayloadAction<{ id: string; state: JSONValue }>) {
      const p = state.plugins.find((x) => x.id === action.payload.id);
      if (p) {
        p.state = action.payload.state;
        p.hasState = true;
      }
    },
    pluginStateReset(state, action: PayloadAction<string>) {
      const p = state.plugins.find((x) => x.id === action.payload);
      if (p) {
        p.state = null;
        p.hasState = false;
      }
    },
    globalApplied(state, action: PayloadAction<Pick<Dispatch, 'type' | 'payload'>[]>) {
      let global = state.global as GlobalState;
      for (const d of action.payload) global = applyGlobal(global, d);
      state.global = global;
    },
    sessionReplaced(_state, action: PayloadAction<SessionState>) {
      return action.payload;
    },
  },
});

export const {
  pluginAdded,
  pluginRemoved,
  pluginSelected,
  codeEdited,
  hostChosen,
  pluginStateSet,
  pluginStateReset,
  globalApplied,
  sessionReplaced,
} = sessionSlice.actions;
