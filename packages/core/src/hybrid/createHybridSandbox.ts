/**
 * @module createHybridSandbox
 * One SandboxClient over two hosts: a local one (the browser or Node worker) and the Corral
 * server (core's HTTP client). Each call goes where the placement policy says (see `policy.ts`),
 * and the decision is on the call's diagnostic (`placement`, `placementReason`).
 *
 * - **Fallback, by rule.** A call that fails because its side could not take it (OVERLOADED,
 *   WORKER_CRASHED, an unexplained 5xx, a local host that cannot start) goes to the decision's
 *   fallback side, if it has one; otherwise it fails with that error, saying where it could not
 *   run. A plugin or caller fault (a limit, a throw, bad input) is never retried elsewhere: the
 *   other side would say the same, and a hostile plugin would get a second go.
 * - **At most one result per call.** State is the host's and travels in the params, so a call
 *   that runs on the fallback sees exactly what the first attempt saw. The first attempt returned
 *   nothing, so nothing of it was applied, and the caller gets one result: an event is applied
 *   once. A plugin that declared needs (`requires`) has effects beyond its result and is never
 *   re-run elsewhere.
 * - **Authoritative replay.** When the decision has a `preview` side (`auto` in production), the
 *   call runs on both; `onPreview` gets the preview's result as soon as it comes, the call
 *   resolves with the authoritative one, and when they differ a `divergence` diagnostic is
 *   emitted (and appended to the result's diagnostics) and counted.
 * - **Same params everywhere.** `now` and `seed` are filled in here, once, so every side (and a
 *   recording) sees the same call.
 */
import {
  CorralError,
  type Diagnostic,
  type DisposePluginParams,
  type DivergenceDiagnostic,
  type EventParams,
  type EventResult,
  type HealthResult,
  type LoadPluginParams,
  type Placement,
  type PluginHealth,
  type PluginMeta,
  type RenderParams,
  type RenderResult,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { pooledRandomSeeds } from '../randomSeeds.js';
import type { SandboxCallOptions, SandboxClient } from '../rpc/sandboxClient.js';
import { eventDifferences, renderDifferences } from './compare.js';
import {
  defaultPlacementPolicy,
  type PlacementDecision,
  type PlacementPolicy,
  type PlacementSetting,
  type RoutingContext,
} from './policy.js';
import { Side, isUnavailable, type SideSource } from './sides.js';

export interface HybridSandboxOptions {
  /**
   * The local host (a browser or Node worker sandbox), or a function that starts it on first
   * need. Absent, or a start that fails: local is unavailable.
   */
  local?: SideSource;
  /** The Corral server (core's `createHttpSandbox`), or a function that starts it. */
  server?: SideSource;
  /** Design time (`auto` runs locally) or production (`auto` runs on the server). */
  context: RoutingContext;
  /** Decides each call. Default: `defaultPlacementPolicy`. */
  policy?: PlacementPolicy;
  /** Placement of a plugin loaded without one. Default `auto`. */
  defaultPlacement?: PlacementSetting;
  /** Consecutive host failures after which a side is skipped for `downForMs`. Default 2. */
  downAfter?: number;
  /** Default 10 000 ms. */
  downForMs?: number;
  clock?: Clock;
  /** Seeds for calls that bring none. Default: crypto-random. */
  seeds?: () => number;
}

/** What a load may say beside its params. */
export interface HybridLoadOptions extends SandboxCallOptions {
  placement?: PlacementSetting;
  /** What the plugin needs from its host (e.g. `secrets`: server only). */
  requires?: readonly string[];
}

/** What a render or event may say beside its params. */
export interface HybridCallOptions<R> extends SandboxCallOptions {
  /** The preview side's result, as soon as it comes (authoritative replay only). */
  onPreview?: (result: R, placement: Placement) => void;
}

/** The last decision taken for a plugin's call. */
export interface PlacementRecord {
  setting: PlacementSetting;
  requires: readonly string[];
  /** Where its last call ran and why (absent before its first call). */
  last?: { placement: Placement; reason: string };
}

export interface HybridStats {
  calls: Record<Placement, number>;
  /** Calls that ran on their fallback side. */
  fallbacks: number;
  /** Authoritative replays whose two results differed. */
  divergences: number;
}

export interface HybridSandbox extends SandboxClient {
  loadPlugin(params: LoadPluginParams, options?: HybridLoadOptions): Promise<PluginMeta>;
  render(params: RenderParams, options?: HybridCallOptions<RenderResult>): Promise<RenderResult>;
  event(params: EventParams, options?: HybridCallOptions<EventResult>): Promise<EventResult>;
  /** Move a loaded plugin; its next call goes by the new placement (loading it there first). */
  setPlacement(pluginId: string, setting: PlacementSetting): void;
  placementOf(pluginId: string): PlacementRecord | undefined;
  stats(): HybridStats;
}

/** One call on a side, given its client. */
type Run<R> = (side: Placement, client: SandboxClient) => Promise<R>;

interface Entry extends PlacementRecord {
  params: LoadPluginParams;
  /** The sides holding this plugin's current code. */
  loaded: Map<Placement, Promise<PluginMeta>>;
}

export function createHybridSandbox(options: HybridSandboxOptions): HybridSandbox {
  return new HybridRouter(options);
}

class HybridRouter implements HybridSandbox {
  private readonly clock: Clock;
  private readonly policy: PlacementPolicy;
  private readonly seeds: () => number;
  private readonly sides: Record<Placement, Side>;
  private readonly plugins = new Map<string, Entry>();
  private readonly listeners = new Set<(diagnostic: Diagnostic) => void>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly counts: HybridStats = { calls: { local: 0, server: 0 }, fallbacks: 0, divergences: 0 };

  constructor(private readonly options: HybridSandboxOptions) {
    this.clock = options.clock ?? createSystemClock();
    this.policy = options.policy ?? defaultPlacementPolicy;
    this.seeds = options.seeds ?? pooledRandomSeeds();
    const sideOptions = {
      clock: this.clock,
      downAfter: options.downAfter ?? 2,
      downForMs: options.downForMs ?? 10_000,
    };
    this.sides = {
      local: new Side('local', options.local, sideOptions),
      server: new Side('server', options.server, sideOptions),
    };
  }

  async loadPlugin(params: LoadPluginParams, options: HybridLoadOptions = {}): Promise<PluginMeta> {
    const entry: Entry = {
      params,
      setting: options.placement ?? this.options.defaultPlacement ?? 'auto',
      requires: options.requires ?? [],
      loaded: new Map(),
    };
    const decision = this.decide(entry, params.pluginId);
    const meta = await this.attempt(entry, decision, options, (side) => this.loadOn(entry, side, options));
    if (decision.preview) this.loadOn(entry, decision.preview, options).catch(() => undefined);
    const previous = this.plugins.get(params.pluginId);
    this.plugins.set(params.pluginId, entry);
    // A side that held the old code and not the new one must not serve it.
    for (const side of previous?.loaded.keys() ?? []) {
      if (!entry.loaded.has(side)) void this.dropFrom(side, params.pluginId);
    }
    return meta;
  }

  render(params: RenderParams, options: HybridCallOptions<RenderResult> = {}): Promise<RenderResult> {
    const full = { ...params, now: params.now ?? this.clock.epochNow(), seed: params.seed ?? this.seeds() };
    return this.call(full.pluginId, 'render', options, (client) => client.render(full, options));
  }

  event(params: EventParams, options: HybridCallOptions<EventResult> = {}): Promise<EventResult> {
    const full = { ...params, now: params.now ?? this.clock.epochNow(), seed: params.seed ?? this.seeds() };
    return this.call(full.pluginId, 'event', options, (client) => client.event(full, options));
  }

  async disposePlugin(params: DisposePluginParams, options?: SandboxCallOptions): Promise<void> {
    const entry = this.plugins.get(params.pluginId);
    if (entry === undefined) {
      const decision = this.decide(this.unknown(params.pluginId), params.pluginId);
      const client = await this.sides[decision.placement].get();
      return client.disposePlugin(params, options);
    }
    this.plugins.delete(params.pluginId);
    await Promise.all([...entry.loaded.keys()].map((side) => this.dropFrom(side, params.pluginId)));
  }

  async health(options?: SandboxCallOptions): Promise<HealthResult> {
    const results = await Promise.all(
      (['local', 'server'] as const).map(async (name) => {
        const started = this.sides[name].started();
        if (started === undefined) return undefined;
        return (await started).health(options).catch(() => undefined);
      }),
    );
    const [local, server] = results;
    const base = local ?? server;
    if (base === undefined) {
      throw new CorralError('WORKER_CRASHED', 'Neither side answered health.', {
        local: this.sides.local.why(),
        server: this.sides.server.why(),
      });
    }
    // Each plugin as the side its last call ran on reports it.
    const plugins = new Map<string, PluginHealth>();
    for (const [name, result] of [
      ['server', server],
      ['local', local],
    ] as const) {
      for (const plugin of result?.plugins ?? []) {
        const last = this.plugins.get(plugin.pluginId)?.last?.placement;
        if (!plugins.has(plugin.pluginId) || last === name) plugins.set(plugin.pluginId, plugin);
      }
    }
    return { ...base, plugins: [...plugins.values()] };
  }

  onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setPlacement(pluginId: string, setting: PlacementSetting): void {
    const entry = this.plugins.get(pluginId);
    if (entry === undefined) {
      throw new CorralError('UNKNOWN_PLUGIN', `No plugin '${pluginId}' is loaded; load it first.`, {
        pluginId,
      });
    }
    this.policy({ ...this.inputOf(entry, pluginId), setting }); // refuses a placement it forbids
    entry.setting = setting;
  }

  placementOf(pluginId: string): PlacementRecord | undefined {
    const entry = this.plugins.get(pluginId);
    return entry && { setting: entry.setting, requires: entry.requires, last: entry.last };
  }

  stats(): HybridStats {
    return structuredClone(this.counts);
  }

  async close(): Promise<void> {
    this.unsubscribe.splice(0).forEach((stop) => stop());
    await Promise.all(
      Object.values(this.sides).map(async (side) => (await side.started()?.catch(() => undefined))?.close()),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private unknown(pluginId: string): Entry {
    const setting = this.options.defaultPlacement ?? 'auto';
    return { params: { pluginId, code: '' }, setting, requires: [], loaded: new Map() };
  }

  private inputOf(entry: Entry, pluginId: string) {
    return {
      pluginId,
      setting: entry.setting,
      requires: entry.requires,
      context: this.options.context,
      available: { local: this.sides.local.available(), server: this.sides.server.available() },
    };
  }

  private decide(entry: Entry, pluginId: string): PlacementDecision {
    return this.policy(this.inputOf(entry, pluginId));
  }

  private async call<R extends RenderResult | EventResult>(
    pluginId: string,
    op: 'render' | 'event',
    options: HybridCallOptions<R>,
    send: (client: SandboxClient) => Promise<R>,
  ): Promise<R> {
    const known = this.plugins.get(pluginId);
    const entry = known ?? this.unknown(pluginId);
    const decision = this.decide(entry, pluginId);
    const run: Run<R> = async (side, client) => {
      if (known) await this.loadOn(entry, side, options);
      return send(client);
    };
    if (decision.preview === undefined || !this.sides[decision.preview].available()) {
      return this.attempt(entry, decision, options, run);
    }

    const previewSide = decision.preview;
    const preview = this.onSide(entry, previewSide, `preview of: ${decision.reason}`, run);
    preview.then((result) => options.onPreview?.(result, previewSide)).catch(() => undefined);
    const authoritative = this.onSide(entry, decision.placement, decision.reason, run);
    const [mine, theirs] = await Promise.allSettled([preview, authoritative]);
    if (theirs.status === 'rejected') {
      const error = CorralError.fromUnknown(theirs.reason);
      const movable = isUnavailable(error) && !options.signal?.aborted && entry.requires.length === 0;
      if (movable && decision.fallback === previewSide && mine.status === 'fulfilled') {
        // The preview already ran the call: its result is the answer, without a second run.
        this.counts.fallbacks += 1;
        const reason = `${decision.placement} unavailable (${brief(error)}): adopted the ${previewSide} result`;
        entry.last = { placement: previewSide, reason };
        return labelled(mine.value, previewSide, reason);
      }
      this.diverged(pluginId, op, decision, mine, theirs);
      throw unavailableHere(error, decision);
    }
    const divergence = this.diverged(pluginId, op, decision, mine, theirs);
    const result = theirs.value;
    return divergence ? { ...result, diagnostics: [...result.diagnostics, divergence] } : result;
  }

  /** Runs on the decision's side, then on its fallback if the side could not take the call. */
  private async attempt<R>(
    entry: Entry,
    decision: PlacementDecision,
    options: SandboxCallOptions,
    run: Run<R>,
  ): Promise<R> {
    try {
      return await this.onSide(entry, decision.placement, decision.reason, run);
    } catch (raw) {
      const error = CorralError.fromUnknown(raw);
      const fallback = decision.fallback;
      const canMove =
        fallback !== null && isUnavailable(error) && !options.signal?.aborted && entry.requires.length === 0;
      if (!canMove) throw unavailableHere(error, decision);
      if (!this.sides[fallback].available())
        throw unavailableHere(error, decision, this.sides[fallback].why());
      this.counts.fallbacks += 1;
      const reason = `${decision.placement} unavailable (${brief(error)}): fell back to ${fallback}`;
      return this.onSide(entry, fallback, reason, run);
    }
  }

  /** One call on one side: counts it, keeps the side's health, labels its diagnostics. */
  private async onSide<R>(entry: Entry, side: Placement, reason: string, run: Run<R>): Promise<R> {
    const target = this.sides[side];
    const client = await target.get().catch((error: CorralError) => {
      target.failed(error);
      throw error;
    });
    this.listen(side, client);
    entry.last = { placement: side, reason };
    this.counts.calls[side] += 1;
    try {
      const result = await run(side, client);
      target.succeeded();
      return labelled(result, side, reason);
    } catch (raw) {
      const error = CorralError.fromUnknown(raw);
      if (isUnavailable(error)) target.failed(error);
      throw error;
    }
  }

  /** Loads the entry's code on a side once (each side's client re-loads it on its own after that). */
  private loadOn(entry: Entry, side: Placement, options: SandboxCallOptions): Promise<PluginMeta> {
    let loading = entry.loaded.get(side);
    if (loading === undefined) {
      loading = this.sides[side].get().then((client) => client.loadPlugin(entry.params, options));
      entry.loaded.set(side, loading);
      loading.catch(() => entry.loaded.delete(side));
    }
    return loading;
  }

  private async dropFrom(side: Placement, pluginId: string): Promise<void> {
    const client = await this.sides[side].started()?.catch(() => undefined);
    await client?.disposePlugin({ pluginId }).catch(() => undefined);
  }

  private readonly listening = new WeakSet<SandboxClient>();

  private listen(side: Placement, client: SandboxClient): void {
    if (this.listening.has(client)) return;
    this.listening.add(client);
    this.unsubscribe.push(
      client.onDiagnostic((diagnostic) => {
        let labelledDiagnostic = diagnostic;
        if (diagnostic.kind === 'call' && diagnostic.pluginId !== '') {
          const last = this.plugins.get(diagnostic.pluginId)?.last;
          labelledDiagnostic = {
            ...diagnostic,
            placement: side,
            placementReason: last?.placement === side ? last.reason : `ran on ${side}`,
          };
        }
        this.listeners.forEach((listener) => listener(labelledDiagnostic));
      }),
    );
  }

  private diverged<R extends RenderResult | EventResult>(
    pluginId: string,
    op: 'render' | 'event',
    decision: PlacementDecision,
    preview: PromiseSettledResult<R>,
    authoritative: PromiseSettledResult<R>,
  ): DivergenceDiagnostic | undefined {
    const codeOf = (r: PromiseSettledResult<R>) =>
      r.status === 'rejected' ? CorralError.fromUnknown(r.reason).code : undefined;
    // A preview side that could not take the call says nothing about the plugin.
    if (preview.status === 'rejected' && isUnavailable(CorralError.fromUnknown(preview.reason))) return;
    if (authoritative.status === 'rejected' && isUnavailable(CorralError.fromUnknown(authoritative.reason)))
      return;
    let fields: DivergenceDiagnostic['fields'];
    if (preview.status === 'fulfilled' && authoritative.status === 'fulfilled') {
      fields =
        op === 'render'
          ? renderDifferences(preview.value as RenderResult, authoritative.value as RenderResult)
          : eventDifferences(preview.value as EventResult, authoritative.value as EventResult);
    } else {
      fields = codeOf(preview) === codeOf(authoritative) ? [] : ['outcome'];
    }
    if (fields.length === 0) return;
    const local = decision.preview === 'local' ? preview : authoritative;
    const server = decision.preview === 'local' ? authoritative : preview;
    const divergence: DivergenceDiagnostic = {
      kind: 'divergence',
      pluginId,
      op,
      fields,
      adopted: decision.placement,
      ...(codeOf(local) && { localErrorCode: codeOf(local) }),
      ...(codeOf(server) && { serverErrorCode: codeOf(server) }),
    };
    this.counts.divergences += 1;
    this.listeners.forEach((listener) => listener(divergence));
    return divergence;
  }
}

/** An error in a few words, for a placement reason. */
function brief(error: CorralError): string {
  const text = `${error.code}: ${error.message}`;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The result with its call diagnostics labelled with where it ran and why. */
function labelled<R>(result: R, placement: Placement, reason: string): R {
  const diagnostics = (result as { diagnostics?: Diagnostic[] } | null)?.diagnostics;
  if (!Array.isArray(diagnostics)) return result;
  return {
    ...result,
    diagnostics: diagnostics.map((d) =>
      d.kind === 'call' ? { ...d, placement, placementReason: reason } : d,
    ),
  };
}

/** The side's error, saying where the call could not run and why it went nowhere else. */
function unavailableHere(error: CorralError, decision: PlacementDecision, fallbackWhy?: string): CorralError {
  if (!isUnavailable(error)) return error;
  const elsewhere =
    decision.fallback === null
      ? `it has no fallback (${decision.reason})`
      : `its fallback, ${decision.fallback}, is unavailable too (${fallbackWhy})`;
  return new CorralError(
    error.code,
    `${error.message} The call could not run on ${decision.placement}, and ${elsewhere}.`,
    { ...error.details, placement: decision.placement },
  );
}
