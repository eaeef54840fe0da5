/**
 * @module @corral/plugin
 * Types for writing a Corral plugin: the global `definePlugin`, the definition it takes, the
 * `ctx` handed to `render` and to handlers, reducers, and the UI tree from `@corral/contracts`
 * with each event binding narrowed to the plugin's own handler names. Types only: nothing here
 * runs, because the runtime's bootstrap defines `definePlugin` inside the VM.
 *
 * In a JavaScript plugin, start the file with `// @ts-check` and
 * `/// <reference types="@corral/plugin" />` (or list `@corral/plugin` in the `types` of a
 * jsconfig/tsconfig).
 */
import type { EventBinding, JSONValue, PluginEvent, UINode, UINodeKind } from '@corral/contracts';

export type { EventBinding, JSONValue, PluginEvent, UINode, UINodeKind };

/** `ctx.log`: one line into the call's bounded log (`maxLogsPerCall`, `maxLogBytes`). */
export interface PluginLog {
  /** Logs at level `info`; strings as they are, other values as JSON. */
  (...values: unknown[]): void;
  debug(...values: unknown[]): void;
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
}

/** Replaces every `EventBinding` inside `T` with one whose `handler` is one of `Name`. */
export type WithHandlerNames<T, Name extends string> = T extends EventBinding
  ? { handler: Name; args?: JSONValue }
  : T extends readonly (infer Item)[]
    ? WithHandlerNames<Item, Name>[]
    : T extends object
      ? { [K in keyof T]: WithHandlerNames<T[K], Name> }
      : T;

/**
 * A UI tree whose bindings may name only `Handler`: a node of `@corral/contracts`'s `UINode`
 * (every kind), with `handler` narrowed.
 */
export type PluginNode<Handler extends string = string> = WithHandlerNames<UINode, Handler>;

/**
 * A UINode built with JSX (`@corral/plugin/jsx-runtime`). JSX props cannot narrow handler names
 * to the plugin's, so an element's bindings are typed `never`, which fits every widget's
 * `render`; object-literal trees keep their bindings checked.
 */
export type PluginElement = PluginNode<never>;

/** What `render` receives. */
export interface RenderContext<State = JSONValue, Global = JSONValue> {
  /** The plugin's state snapshot (the host owns it; do not mutate, return new state). */
  readonly pluginState: State;
  /** The host's global state snapshot, read-only to the plugin. */
  readonly globalState: Global;
  /** The call's time in ms since the epoch, as given by the host (`Date.now()` agrees). */
  now(): number;
  /** Logs a line into the call's bounded log; `console` goes to the same place. */
  readonly log: PluginLog;
}

/** The payload argument(s) `dispatchPluginAction(type, …)` takes, from the reducer's payload type. */
export type PayloadArgs<Payload> = unknown extends Payload
  ? [payload?: JSONValue]
  : undefined extends Payload
    ? [payload?: Payload]
    : [payload: Payload];

/** What a handler receives: the render context plus the event and the two dispatchers. */
export interface HandlerContext<
  State = JSONValue,
  Payloads = Record<string, unknown>,
  Global = JSONValue,
> extends RenderContext<State, Global> {
  /** What happened: `click`, `change` (with `value`) or `submit`, and the binding's `args`. */
  readonly event: PluginEvent;
  /**
   * Asks for one of the plugin's reducers to run after the handler returns, in order. The host
   * stamps each dispatch (`dispatchId`, `ts`, …); the payload must be JSON.
   */
  dispatchPluginAction<Type extends keyof Payloads & string>(
    type: Type,
    ...payload: PayloadArgs<Payloads[Type]>
  ): void;
  /** Asks the host to apply an action to its global store (the host decides whether to accept). */
  dispatchGlobalAction(type: string, payload?: JSONValue): void;
}

/** A reducer: the next plugin state from the current one and an action's payload. Synchronous. */
export type Reducer<State = JSONValue, Payload = unknown> = (state: State, payload: Payload) => State;

/** A handler: runs on an event and dispatches actions; its return value is ignored. */
export type Handler<State = JSONValue, Payloads = Record<string, unknown>, Global = JSONValue> = (
  ctx: HandlerContext<State, Payloads, Global>,
) => void;

/** One widget: a title and a synchronous `render` returning a UI tree. */
export interface WidgetDefinition<
  State = JSONValue,
  HandlerName extends string = string,
  Global = JSONValue,
> {
  /** Human-readable title (defaults to the widget's key). */
  title?: string;
  /** When set, the host re-renders the widget every `refreshMs` ms (at least 250). */
  refreshMs?: number;
  /** Returns the widget's UI tree for the given state. */
  render(ctx: RenderContext<State, Global>): PluginNode<HandlerName>;
}

/**
 * The object `definePlugin` takes. `State` comes from `initialState`, handler names from
 * `handlers`, payload types from the reducers' second parameters. A binding may name a handler,
 * or a reducer directly: a reducer without a handler of the same name runs with the event's
 * value (or the binding's `args`) as its payload.
 */
export interface PluginDefinition<
  State = JSONValue,
  HandlerName extends string = string,
  Payloads = Record<string, unknown>,
  Global = JSONValue,
> {
  /** Shown by hosts; defaults to "Untitled plugin". */
  title?: string;
  /** The state a host starts the plugin with (must be JSON). */
  initialState?: State;
  /** The plugin's widgets, by id. Bindings may name a handler or a reducer. */
  widgets: Record<
    string,
    WidgetDefinition<NoInfer<State>, NoInfer<HandlerName | (keyof Payloads & string)>, Global>
  >;
  /** Handlers, by the name bindings use. */
  handlers?: { [Name in HandlerName]: Handler<NoInfer<State>, NoInfer<Payloads>, Global> };
  /** Reducers, by action type (plugin scope): `(state, payload) => nextState`. */
  reducers?: { [Type in keyof Payloads]: Reducer<NoInfer<State>, Payloads[Type]> };
}

declare global {
  /**
   * Declares the plugin. Call it exactly once, at the top level of the plugin's script. The
   * state type is inferred from `initialState` (annotate it, e.g. `/** @type {State} *\/`, or
   * pass it as the first type argument).
   */
  function definePlugin<
    State = JSONValue,
    HandlerName extends string = never,
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no reducers: no action types
    Payloads = {},
    Global = JSONValue,
  >(definition: PluginDefinition<State, HandlerName, Payloads, Global>): void;
}
