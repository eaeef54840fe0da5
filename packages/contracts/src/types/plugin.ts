/**
 * @module plugin
 * What a plugin is to the host: its metadata, the events a host sends it, the intents it
 * dispatches and the stamped dispatches the host hands back.
 */
import type { JSONValue } from './json.js';

/** An interaction the host reports to a handler. */
export interface PluginEvent {
  /** Which interaction happened. */
  name: 'click' | 'change' | 'submit';
  /** The `args` of the node's EventBinding, passed through. */
  args?: JSONValue;
  /** The new value for `change` (and the submitted value for `submit`). */
  value?: string | number | boolean;
}

/** Where an action applies: the plugin's own state, or the host's global store. */
export type DispatchScope = 'plugin' | 'global';

/** Which kind of host ran the call that produced a dispatch. */
export type DispatchSource = 'in-thread' | 'node-worker' | 'browser-worker' | 'server';

/** An action a handler asked for, before the host stamps it. */
export interface DispatchIntent {
  /** Plugin actions go through the plugin's reducers; global ones to the host. */
  scope: DispatchScope;
  /** Action type: a reducer name (plugin scope) or a host action type (global scope). */
  type: string;
  /** Action payload. */
  payload?: JSONValue;
}

/** Host-written facts about a dispatch; a plugin can set none of them. */
export interface DispatchMeta {
  /** A UUID unique to this dispatch. */
  dispatchId: string;
  /** Scope the plugin asked for. */
  scope: DispatchScope;
  /** The plugin that dispatched. */
  pluginId: string;
  /** The call's `now` (ms since the epoch) when the dispatch was stamped. */
  ts: number;
  /** Which host ran the call. */
  source: DispatchSource;
  /** False when the host refused it (e.g. a global type not on the allowlist). */
  accepted: boolean;
  /** Why the dispatch was refused, when `accepted` is false. */
  reason?: string;
}

/** A stamped dispatch as returned from an event. */
export interface Dispatch {
  /** Action type. */
  type: string;
  /** Action payload. */
  payload?: JSONValue;
  /** Host-written stamp. */
  meta: DispatchMeta;
}

/** A widget the plugin declares. */
export interface WidgetMeta {
  /** Key of the widget in the plugin's `widgets`. */
  id: string;
  /** Human-readable title. */
  title: string;
  /**
   * When set, the host re-renders the widget every `refreshMs` milliseconds (at least 250);
   * plugins have no timers of their own.
   * @minimum 250
   */
  refreshMs?: number;
}

/** What a successful load returns. */
export interface PluginMeta {
  /** The id the plugin was loaded under. */
  pluginId: string;
  /** Human-readable title from `definePlugin`. */
  title: string;
  /** Declared widgets, in declaration order. */
  widgets: WidgetMeta[];
  /** Names of declared handlers. */
  handlers: string[];
  /** Names of declared reducers (plugin-scoped action types). */
  reducers: string[];
  /** The plugin's `initialState` (null when it declares none). */
  initialState: JSONValue;
  /**
   * The plugin's stack limit in force, in bytes, as this host grants it (see
   * `HealthResult.maxStackBytes`). Set by every runtime.
   * @minimum 0
   */
  stackBytes?: number;
  /**
   * Present when the host lowered the plugin's stack: the `stackBytes` its profile and
   * overrides asked for.
   * @minimum 0
   */
  requestedStackBytes?: number;
}
