/**
 * @module equivalence
 * Drives plugins with random interactions (from a fixed seed) the way a person would — render a
 * widget, pick one of the controls in its tree, click it, type into it, tick it, pick an option —
 * and records the session. The recording replays against any other host (`replaySession`), which
 * must give back the same trees, states and dispatches: the property that lets a plugin move
 * between the browser, a Node worker and the server. Global dispatches of the allowed types are
 * applied by a small host reducer, so plugins sharing global state see each other.
 */
import type {
  JSONValue,
  LoadPluginParams,
  PluginEvent,
  PluginMeta,
  SessionRecording,
  UINode,
} from '@corral/contracts';
import { createSessionRecorder } from '../recording/session.js';
import type { SandboxClient } from '../rpc/sandboxClient.js';

/**
 * A plugin to load for the session (its limits too: a session's calls are sub-millisecond), and
 * the state to start from when not its own `initialState`.
 */
export type DrivenPlugin = LoadPluginParams & { state?: JSONValue };

export interface DriveOptions {
  plugins: readonly DrivenPlugin[];
  /** Seed of the interaction sequence (and of each call's `now` and `seed`). */
  seed: number;
  /** Interactions in the sequence; each is a render, then an event on one of its controls. */
  steps: number;
  /** The host's global state at the start. Default `{ counter: 0 }`. */
  globalState?: JSONValue;
}

/**
 * `total` sessions over the given plugin groups (each group is loaded together: a plugin alone,
 * or a pair sharing global state), round-robin, with seeds 1..total and 4–10 interactions each.
 */
export function equivalenceSessions(
  groups: readonly (readonly DrivenPlugin[])[],
  total: number,
): DriveOptions[] {
  return Array.from({ length: total }, (_, i) => ({
    plugins: groups[i % groups.length]!,
    seed: i + 1,
    steps: 4 + (i % 7),
  }));
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Control {
  handler: string;
  event: PluginEvent;
}

/** Runs one random session on `client` and returns its recording. */
export async function driveSession(client: SandboxClient, options: DriveOptions): Promise<SessionRecording> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let now = 1_700_000_000_000 + Math.floor(random() * 1e9);
  const stamp = () => ({
    now: (now += 1 + Math.floor(random() * 5_000)),
    seed: Math.floor(random() * 2 ** 32),
  });
  const recorder = createSessionRecorder(client);
  const metas: PluginMeta[] = [];
  const states = new Map<string, JSONValue>();
  for (const { state, ...plugin } of options.plugins) {
    const meta = await recorder.client.loadPlugin(plugin);
    metas.push(meta);
    states.set(meta.pluginId, state === undefined ? meta.initialState : state);
  }
  let globalState: JSONValue = options.globalState ?? { counter: 0 };
  for (let step = 0; step < options.steps; step++) {
    const meta = pick(metas);
    const widget = pick(meta.widgets);
    if (widget === undefined) continue;
    const base = { pluginId: meta.pluginId, widgetId: widget.id, globalState };
    const rendered = await recorder.client
      .render({ ...base, pluginState: states.get(meta.pluginId)!, ...stamp() })
      .catch(() => undefined);
    const controls = rendered ? controlsOf(rendered.tree, random) : [];
    if (controls.length === 0) continue;
    const control = pick(controls);
    const result = await recorder.client
      .event({ ...base, pluginState: states.get(meta.pluginId)!, ...control, ...stamp() })
      .catch(() => undefined);
    if (result === undefined) continue;
    states.set(meta.pluginId, result.pluginState);
    for (const dispatch of result.dispatches) {
      if (dispatch.meta.scope === 'global' && dispatch.meta.accepted) {
        globalState = applyGlobal(globalState, dispatch.type, dispatch.payload);
      }
    }
  }
  return recorder.recording();
}

/** The host's reducer for the global actions the examples use. */
function applyGlobal(state: JSONValue, type: string, payload: JSONValue | undefined): JSONValue {
  const current = (state ?? {}) as { [key: string]: JSONValue };
  if (type === 'counter/increment') {
    const by =
      typeof (payload as { by?: unknown } | undefined)?.by === 'number' ? (payload as { by: number }).by : 1;
    return { ...current, counter: (typeof current.counter === 'number' ? current.counter : 0) + by };
  }
  return current;
}

/** Every interaction the tree offers, with a value a person might enter for inputs. */
function controlsOf(tree: UINode, random: () => number): Control[] {
  const controls: Control[] = [];
  const words = ['milk', 'rent', 'Lunch', '', '  spaced  ', '42', 'ünïcode ✓', 'x'.repeat(40)];
  const visit = (node: UINode): void => {
    switch (node.kind) {
      case 'button':
        if (!node.disabled) controls.push({ handler: node.onClick.handler, event: click(node.onClick.args) });
        break;
      case 'input': {
        const value =
          node.inputType === 'number'
            ? Math.round((random() * 200 - 50) * 100) / 100
            : words[Math.floor(random() * words.length)]!;
        if (node.onChange)
          controls.push({
            handler: node.onChange.handler,
            event: with_('change', node.onChange.args, value),
          });
        if (node.onSubmit)
          controls.push({
            handler: node.onSubmit.handler,
            event: with_('submit', node.onSubmit.args, value),
          });
        break;
      }
      case 'checkbox':
        if (node.onChange)
          controls.push({
            handler: node.onChange.handler,
            event: with_('change', node.onChange.args, !node.checked),
          });
        break;
      case 'select': {
        const option = node.options[Math.floor(random() * node.options.length)];
        if (node.onChange && option) {
          controls.push({
            handler: node.onChange.handler,
            event: with_('change', node.onChange.args, option.value),
          });
        }
        break;
      }
      default:
        if ('children' in node) node.children.forEach(visit);
    }
  };
  visit(tree);
  return controls;
}

function click(args: JSONValue | undefined): PluginEvent {
  return args === undefined ? { name: 'click' } : { name: 'click', args };
}

function with_(
  name: 'change' | 'submit',
  args: JSONValue | undefined,
  value: string | number | boolean,
): PluginEvent {
  return args === undefined ? { name, value } : { name, args, value };
}
