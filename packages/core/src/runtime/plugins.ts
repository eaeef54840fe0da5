/**
 * @module plugins
 * The runtime's loaded plugins: what each was loaded with, its VM (null until rebuilt after a
 * failure), and the failure window after which it fails fast with PLUGIN_ERRORED until it is
 * loaded again. Also how a plugin's VM is built: a booted VM, the code evaluated under the load
 * deadline, the metadata read back and sized.
 */
import {
  CorralError,
  DEFAULT_JSON_BOUNDS,
  measureJsonText,
  resolveLimits,
  utf8Length,
  validatePluginMeta,
  type LimitProfile,
  type PluginMeta,
  type RuntimeLimits,
  type RuntimeLimitsOverride,
} from '@corral/contracts';
import type { Clock } from '../clock.js';
import type { FailureThreshold } from '../rpc/failureLedger.js';
import type { PluginVm } from './pluginVm.js';
import { grantStack, type StackGrant } from './stackBudget.js';
import type { VmKeeper } from './vmKeeper.js';
import { failedBeforeRunning, type VmResult } from './vmResult.js';

export interface PluginRecord {
  pluginId: string;
  code: string;
  limits: RuntimeLimits;
  /** The stack granted (`limits.stackBytes`), and what was asked when the host lowered it. */
  stack: StackGrant;
  meta: PluginMeta;
  reducers: ReadonlySet<string>;
  widgets: ReadonlySet<string>;
  handlers: ReadonlySet<string>;
  vm: PluginVm | null;
  failures: number[];
  status: 'ready' | 'errored';
}

/** What a plugin that has just loaded is recorded with. */
export interface LoadedPlugin {
  code: string;
  limits: RuntimeLimits;
  stack: StackGrant;
  meta: PluginMeta;
  vm: PluginVm;
}

/** A new record for a plugin that has just loaded. */
export function pluginRecord({ code, limits, stack, meta, vm }: LoadedPlugin): PluginRecord {
  return {
    pluginId: meta.pluginId,
    code,
    limits,
    stack,
    meta,
    reducers: new Set(meta.reducers),
    widgets: new Set(meta.widgets.map((w) => w.id)),
    // A binding may name a reducer directly (the bootstrap gives it a dispatching handler).
    handlers: new Set([...meta.handlers, ...meta.reducers]),
    vm,
    failures: [],
    status: 'ready',
  };
}

/** The loaded plugins and their failure windows. */
export class PluginTable {
  readonly records = new Map<string, PluginRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly threshold: FailureThreshold,
  ) {}

  /** The plugin, or UNKNOWN_PLUGIN. */
  loaded(pluginId: string): PluginRecord {
    const plugin = this.records.get(pluginId);
    if (!plugin) throw new CorralError('UNKNOWN_PLUGIN', `No plugin '${pluginId}' is loaded`, { pluginId });
    return plugin;
  }

  /** The plugin, if it is loaded, not errored, and (when asked) has the widget. */
  usable(pluginId: string, widgetId?: string): PluginRecord {
    const plugin = this.loaded(pluginId);
    if (plugin.status === 'errored') {
      throw new CorralError(
        'PLUGIN_ERRORED',
        `Plugin '${pluginId}' failed too often and is disabled until it is reloaded`,
        { pluginId, recentFailures: this.recentFailures(plugin) },
      );
    }
    if (widgetId !== undefined && !plugin.widgets.has(widgetId)) {
      throw new CorralError('UNKNOWN_WIDGET', `Plugin '${pluginId}' has no widget '${widgetId}'`, {
        widgetId,
        widgets: [...plugin.widgets],
      });
    }
    return plugin;
  }

  /** Count a failure; too many inside the window and the plugin is errored. */
  countFailure(plugin: PluginRecord): void {
    plugin.failures.push(this.clock.now());
    if (this.recentFailures(plugin) >= this.threshold.count) plugin.status = 'errored';
  }

  recentFailures(plugin: PluginRecord): number {
    const since = this.clock.now() - this.threshold.windowMs;
    plugin.failures = plugin.failures.filter((t) => t >= since);
    return plugin.failures.length;
  }
}

/**
 * A load's limits: its profile and overrides under the host's ceiling, the stack as this host
 * grants it (see `stackBudget`). CODE_TOO_LARGE when the code is past `maxCodeBytes`.
 */
export function loadLimits(
  load: { code: string; profile?: LimitProfile; overrides?: RuntimeLimitsOverride },
  ceiling: RuntimeLimits,
  maxStackBytes: number,
): { limits: RuntimeLimits; stack: StackGrant } {
  const limits = resolveLimits(load.profile, load.overrides, ceiling);
  const stack = grantStack(limits.stackBytes, maxStackBytes);
  limits.stackBytes = stack.stackBytes;
  const codeBytes = utf8Length(load.code);
  if (codeBytes > limits.maxCodeBytes) {
    throw new CorralError(
      'CODE_TOO_LARGE',
      `The plugin source is ${codeBytes} bytes; the limit is ${limits.maxCodeBytes}`,
      { codeBytes, maxCodeBytes: limits.maxCodeBytes },
    );
  }
  return { limits, stack };
}

/** Room a plugin definition has beyond its initialState's `maxStateBytes`. */
const DEFINITION_SLACK = 64 * 1024;
/** A UTF-16 unit no character is made of (`u` mode matches a pair whole). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Build a VM, evaluate the code under the load deadline and read its metadata. A load call's
 * deadline runs from `startedAt`, when the call began, so building the VM (2-5 ms when no
 * spare is ready) is part of it: a top-level `while (true) {}` then stops at 101-102 ms against
 * a 100 ms deadline with a spare, 103-111 ms without.
 */
export function instantiate(
  keeper: VmKeeper,
  load: { pluginId: string; code: string; limits: RuntimeLimits; startedAt?: number },
): VmResult<{ vm: PluginVm; meta: PluginMeta }> {
  const { pluginId, code, limits } = load;
  let vm: PluginVm;
  try {
    vm = keeper.fresh();
  } catch (error) {
    return failedBeforeRunning(error);
  }
  const loaded = vm.load(code, limits, load.startedAt);
  if (!loaded.ok) {
    keeper.discard(vm);
    return loaded;
  }
  try {
    const meta = readMeta(pluginId, loaded.output, limits);
    return { ok: true, output: { vm, meta }, outcome: loaded.outcome };
  } catch (error) {
    keeper.discard(vm);
    return { ok: false, error: CorralError.fromUnknown(error), outcome: loaded.outcome, recycle: false };
  }
}

function readMeta(pluginId: string, output: string, limits: RuntimeLimits): PluginMeta {
  const maxBytes = limits.maxStateBytes + DEFINITION_SLACK;
  const shape = measureJsonText(output, maxBytes, DEFAULT_JSON_BOUNDS.maxDepth);
  if (shape.bytes > maxBytes) {
    throw new CorralError('INVALID_PLUGIN', 'The plugin definition (with its initialState) is too large');
  }
  if (shape.depth > DEFAULT_JSON_BOUNDS.maxDepth) {
    throw new CorralError(
      'INVALID_PLUGIN',
      `The plugin definition nests deeper than ${DEFAULT_JSON_BOUNDS.maxDepth} levels; flatten initialState`,
    );
  }
  // The VM wrote it, so the host checks it in full, whatever the bootstrap checked: its shape
  // (the contract's PluginMeta), its depth and its keys ("__proto__" is refused as a key).
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    parsed = undefined;
  }
  const valid = validatePluginMeta(
    typeof parsed === 'object' && parsed !== null ? { pluginId, ...parsed } : parsed,
  );
  if (!valid.ok) {
    throw new CorralError('INVALID_PLUGIN', `The plugin definition is invalid: ${valid.message}`, {
      path: valid.issues[0]!.path,
      issue: valid.issues[0]!.message,
    });
  }
  const meta = valid.value;
  // Names become keys (a render's widgetId, an event's handler): each must be well-formed
  // Unicode, as a request's must (see the contract's validators), or it could never be called.
  const names = [...meta.widgets.map((w) => w.id), ...meta.handlers, ...meta.reducers];
  const illFormed = names.find((name) => LONE_SURROGATE.test(name));
  if (illFormed !== undefined) {
    throw new CorralError(
      'INVALID_PLUGIN',
      `The plugin definition names '${illFormed.slice(0, 100)}', which is not well-formed Unicode ` +
        '(a lone surrogate); name widgets, handlers and reducers with whole characters only',
    );
  }
  if (utf8Length(JSON.stringify(meta.initialState)) > limits.maxStateBytes) {
    throw new CorralError(
      'INVALID_PLUGIN',
      `initialState is larger than maxStateBytes (${limits.maxStateBytes})`,
    );
  }
  return meta;
}
