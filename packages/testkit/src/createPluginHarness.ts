/**
 * @module createPluginHarness
 * Tests a plugin headless, the way a user meets it: render a widget, find a node by role, label
 * or text, click it or type into it, and get back the new state, the stamped dispatches and the
 * re-rendered tree. It runs the real runtime (QuickJS, in-thread, real limits), so a test
 * passes only if the plugin works in a host.
 */
import { existsSync, readFileSync } from 'node:fs';
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { buildPlugin } from '@corral/build';
import { createRuntime, type Runtime } from '@corral/core';
import { LIMIT_PROFILES } from '@corral/contracts';
import type {
  Dispatch,
  EventBinding,
  JSONValue,
  LimitProfile,
  LogDiagnostic,
  PluginEvent,
  PluginMeta,
  RuntimeLimitsOverride,
  UINode,
} from '@corral/contracts';

export interface PluginHarnessOptions {
  /** The host's global state every call sees (default null). */
  globalState?: JSONValue;
  /** Global action types the host accepts (default: all). */
  allowedGlobalActions?: readonly string[];
  /** The time calls see, ms since the epoch (default 0; change it with `harness.now = …`). */
  now?: number;
  /** Seed for Math.random (default 1), so renders are replayable. */
  seed?: number;
  /** The limits' profile (default `default`). */
  profile?: LimitProfile;
  /**
   * Overrides of the profile's limits. The deadlines (`loadTimeoutMs`, `renderTimeoutMs`,
   * `eventTimeoutMs`) default to `TEST_DEADLINE_MS`, not the profile's: a test checks what the
   * plugin does, and a busy machine must not fail it (speed belongs in a benchmark). Set them
   * here, up to that, to hold a plugin to a deadline.
   */
  limits?: RuntimeLimitsOverride;
}

/** The deadline of each call unless `limits` sets one. */
export const TEST_DEADLINE_MS = 5_000;
const TEST_DEADLINES = {
  loadTimeoutMs: TEST_DEADLINE_MS,
  renderTimeoutMs: TEST_DEADLINE_MS,
  eventTimeoutMs: TEST_DEADLINE_MS,
};

/** How a node is found: `{ role, name }` like Testing Library, or its label or text. */
export type NodeQuery =
  { role: NodeRole; name?: string | RegExp } | { label: string | RegExp } | { text: string | RegExp };

export type NodeRole =
  | 'region'
  | 'group'
  | 'text'
  | 'heading'
  | 'button'
  | 'textbox'
  | 'spinbutton'
  | 'checkbox'
  | 'combobox'
  | 'list'
  | 'table'
  | 'status'
  | 'separator';

/** What an interaction produced. */
export interface Interaction {
  /** The plugin state after the reducers ran (also the harness's state from now on). */
  state: JSONValue;
  /** Every dispatch, stamped by the host, in order. */
  dispatches: Dispatch[];
  /** `log()` / console lines of the event call. */
  logs: LogDiagnostic[];
  /** The widget re-rendered from the new state. */
  view: RenderedWidget;
}

/** A node found in a rendered tree, with the interactions its kind supports. */
export interface FoundNode {
  node: UINode;
  /** Fires `onClick` (button) or toggles a checkbox (`onChange` with the new value). */
  click(): Promise<Interaction>;
  /** Types into an input (`onChange` with the value; numbers for `inputType: 'number'`). */
  input(value: string | number): Promise<Interaction>;
  /** Submits an input (`onSubmit`, with its value). */
  submit(): Promise<Interaction>;
  /** Chooses a select option (`onChange` with the option's value). */
  select(value: string): Promise<Interaction>;
}

export interface RenderedWidget {
  widgetId: string;
  tree: UINode;
  logs: LogDiagnostic[];
  /** The first node matching, or throws listing what the tree holds. */
  get(query: NodeQuery): FoundNode;
  /** Every node matching. */
  getAll(query: NodeQuery): FoundNode[];
  /** The first node matching, or null. */
  query(query: NodeQuery): FoundNode | null;
  /** Every text a person would read, in tree order. */
  texts(): string[];
}

export interface PluginHarness extends AsyncDisposable {
  meta: PluginMeta;
  /** The plugin state the next call uses (starts as `initialState`). */
  state: JSONValue;
  globalState: JSONValue;
  now: number;
  /** Renders a widget (default: the first declared) from `state` (default: the harness's). */
  render(widgetId?: string, state?: JSONValue): Promise<RenderedWidget>;
  /** Runs a handler directly, as a binding would. */
  event(widgetId: string, handler: string, event: PluginEvent): Promise<Interaction>;
  dispose(): void;
}

const ROLE_BY_KIND: Record<UINode['kind'], (node: never) => NodeRole> = {
  panel: () => 'region',
  row: () => 'group',
  column: () => 'group',
  text: () => 'text',
  heading: () => 'heading',
  button: () => 'button',
  input: (n: { inputType?: string }) => (n.inputType === 'number' ? 'spinbutton' : 'textbox'),
  checkbox: () => 'checkbox',
  select: () => 'combobox',
  list: () => 'list',
  table: () => 'table',
  badge: () => 'status',
  divider: () => 'separator',
};

function roleOf(node: UINode): NodeRole {
  return (ROLE_BY_KIND[node.kind] as (n: UINode) => NodeRole)(node);
}

/** The accessible name: a control's label (or placeholder), a container's title, else its text. */
function nameOf(node: UINode): string | undefined {
  const n = node as { label?: string; placeholder?: string; title?: string; text?: string };
  return n.label ?? n.placeholder ?? n.title ?? n.text;
}

function matches(value: string | undefined, want: string | RegExp): boolean {
  if (value === undefined) return false;
  return typeof want === 'string' ? value === want : want.test(value);
}

function walk(node: UINode, out: UINode[]): UINode[] {
  out.push(node);
  const children = (node as { children?: UINode[] }).children;
  if (children) for (const child of children) walk(child, out);
  return out;
}

function describeQuery(q: NodeQuery): string {
  if ('role' in q) return `role '${q.role}'${q.name === undefined ? '' : ` named ${String(q.name)}`}`;
  if ('label' in q) return `label ${String(q.label)}`;
  return `text ${String(q.text)}`;
}

function isMatch(node: UINode, q: NodeQuery): boolean {
  if ('role' in q) return roleOf(node) === q.role && (q.name === undefined || matches(nameOf(node), q.name));
  if ('label' in q) return matches((node as { label?: string }).label, q.label);
  return matches((node as { text?: string }).text, q.text);
}

function isPath(source: string): boolean {
  return !source.includes('\n') && /\.(c|m)?(j|t)sx?$/.test(source) && existsSync(source);
}

/**
 * Load a plugin into a fresh in-thread runtime. `source` is the plugin's code, or a path to a
 * .js file (loaded as it is) or a .ts/.tsx/.jsx file (bundled with @corral/build first).
 */
export async function createPluginHarness(
  source: string | { code: string } | { path: string },
  options: PluginHarnessOptions = {},
): Promise<PluginHarness> {
  let code: string;
  if (typeof source === 'object') {
    code = 'code' in source ? source.code : await loadPath(source.path);
  } else {
    code = isPath(source) ? await loadPath(source) : source;
  }
  const allowed = options.allowedGlobalActions;
  const runtime: Runtime = await createRuntime({
    variant: quickjs,
    allowedGlobalActions: allowed ?? (() => true),
    limitsCeiling: { ...LIMIT_PROFILES.generous, ...TEST_DEADLINES },
  });
  let meta: PluginMeta;
  try {
    meta = await runtime.loadPlugin({
      pluginId: 'plugin',
      code,
      ...(options.profile ? { profile: options.profile } : {}),
      limits: { ...TEST_DEADLINES, ...options.limits },
    });
  } catch (error) {
    runtime.dispose();
    throw error;
  }
  const seed = options.seed ?? 1;

  const harness: PluginHarness = {
    meta,
    state: meta.initialState,
    globalState: options.globalState ?? null,
    now: options.now ?? 0,

    async render(widgetId = meta.widgets[0]?.id ?? 'main', state = harness.state) {
      const result = await runtime.render({
        pluginId: 'plugin',
        widgetId,
        pluginState: state,
        globalState: harness.globalState,
        now: harness.now,
        seed,
      });
      return rendered(widgetId, result.tree, logsOf(result.diagnostics));
    },

    async event(widgetId, handler, event) {
      const result = await runtime.event({
        pluginId: 'plugin',
        widgetId,
        handler,
        event,
        pluginState: harness.state,
        globalState: harness.globalState,
        now: harness.now,
        seed,
      });
      harness.state = result.pluginState;
      const view = await harness.render(widgetId);
      return {
        state: result.pluginState,
        dispatches: result.dispatches,
        logs: logsOf(result.diagnostics),
        view,
      };
    },

    dispose() {
      runtime.dispose();
    },
    async [Symbol.asyncDispose]() {
      runtime.dispose();
    },
  };

  function fire(widgetId: string, node: UINode, binding: EventBinding | undefined, event: PluginEvent) {
    if (!binding) {
      throw new Error(
        `The ${node.kind} node ${JSON.stringify(nameOf(node) ?? '')} has no binding for '${event.name}'`,
      );
    }
    const withArgs = binding.args === undefined ? event : { ...event, args: binding.args };
    return harness.event(widgetId, binding.handler, withArgs);
  }

  function found(widgetId: string, node: UINode): FoundNode {
    return {
      node,
      click() {
        if (node.kind === 'button') {
          if (node.disabled) throw new Error(`The button '${node.label}' is disabled`);
          return fire(widgetId, node, node.onClick, { name: 'click' });
        }
        if (node.kind === 'checkbox')
          return fire(widgetId, node, node.onChange, { name: 'change', value: !node.checked });
        throw new Error(`A ${node.kind} node cannot be clicked (buttons and checkboxes can)`);
      },
      input(value) {
        if (node.kind !== 'input') throw new Error(`A ${node.kind} node cannot be typed into (inputs can)`);
        const typed = node.inputType === 'number' ? Number(value) : String(value);
        return fire(widgetId, node, node.onChange, { name: 'change', value: typed });
      },
      submit() {
        if (node.kind !== 'input') throw new Error(`A ${node.kind} node cannot be submitted (inputs can)`);
        return fire(widgetId, node, node.onSubmit, { name: 'submit', value: node.value });
      },
      select(value) {
        if (node.kind !== 'select') throw new Error(`A ${node.kind} node has no options (selects do)`);
        if (!node.options.some((o) => o.value === value)) {
          throw new Error(
            `The select has no option '${value}'; options: ${node.options.map((o) => o.value).join(', ')}`,
          );
        }
        return fire(widgetId, node, node.onChange, { name: 'change', value });
      },
    };
  }

  function rendered(widgetId: string, tree: UINode, logs: LogDiagnostic[]): RenderedWidget {
    const nodes = walk(tree, []);
    const view: RenderedWidget = {
      widgetId,
      tree,
      logs,
      getAll: (q) => nodes.filter((n) => isMatch(n, q)).map((n) => found(widgetId, n)),
      query: (q) => view.getAll(q)[0] ?? null,
      get(q) {
        const hit = view.query(q);
        if (hit) return hit;
        const seen = nodes.map((n) => `${roleOf(n)}${nameOf(n) === undefined ? '' : ` '${nameOf(n)}'`}`);
        throw new Error(
          `No node with ${describeQuery(q)} in widget '${widgetId}'; it holds: ${seen.join(', ')}`,
        );
      },
      texts: () =>
        nodes.flatMap((n) => {
          const t = (n as { text?: string; label?: string }).text ?? (n as { label?: string }).label;
          return t === undefined ? [] : [t];
        }),
    };
    return view;
  }

  return harness;
}

function logsOf(diagnostics: readonly { kind: string }[]): LogDiagnostic[] {
  return diagnostics.filter((d): d is LogDiagnostic => d.kind === 'log');
}

async function loadPath(path: string): Promise<string> {
  if (/\.(c|m)?js$/.test(path)) return readFileSync(path, 'utf8');
  return (await buildPlugin(path)).code;
}
