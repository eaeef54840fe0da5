/**
 * @module createSandboxPool
 * Many SandboxClients behind one: a pool of workers (Node threads, browser workers) that reads
 * like a single sandbox. Each member holds plugin state — a QuickJS runtime per loaded plugin —
 * so calls are not spread over members like stateless tasks: a plugin is assigned to the
 * least-loaded member when it is first loaded and every later call for it goes there. One
 * plugin's long call then queues only behind its own member, never the whole pool.
 *
 * A plugin whose calls pile up while they stay cheap is **replicated**: loaded into a second
 * (third, …) member from the code it was loaded with, and each call goes to whichever of its
 * members has the fewest calls in flight. State is host-owned, so any replica can serve any call.
 * Only cheap, well-behaved plugins spread: one whose calls take long (`replicateMaxCallMs`) stays
 * on its home member, and a plugin that fails with a limit, a crash or an error is collapsed back
 * to its home member and not spread again for `replicateCooldownMs` — so a slow or hostile plugin
 * can still only ever queue its own member.
 *
 * A plugin whose call got its worker killed moves to an isolation lane (`isolation`), a member
 * of its own, until its kills are past the ledger's window; it never shares a thread with benign
 * plugins meanwhile.
 *
 * Runtime-agnostic: members are any SandboxClient; supervision (hard kill, respawn, reload of
 * the member's plugins) stays inside each member's own client.
 */
import {
  CorralError,
  type Diagnostic,
  type DisposePluginParams,
  type EventParams,
  type EventResult,
  type HealthResult,
  type LoadPluginParams,
  type PluginMeta,
  type RenderParams,
  type RenderResult,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { IsolationLane } from './isolationLane.js';
import type { Member, SandboxCallOptions, SandboxPool, SandboxPoolOptions } from './sandboxClient.js';

export type { SandboxPool, SandboxPoolOptions } from './sandboxClient.js';

/** Failures after which a replicated plugin is collapsed back to its home member. */
const COLLAPSE_CODES: ReadonlySet<string> = new Set([
  'LIMIT_TIME',
  'LIMIT_MEMORY',
  'LIMIT_STACK',
  'PLUGIN_ERRORED',
  'PLUGIN_THREW',
  'WORKER_CRASHED',
  'INTERNAL',
  'OVERLOADED',
]);

/** Where one loaded plugin lives. */
interface Placement {
  /** members[0] is its home; the rest are replicas. */
  members: number[];
  /** How it was loaded, to load replicas the same way. */
  params: LoadPluginParams;
  /** Members a replica is being loaded into. */
  loading: Set<number>;
  /** Moving estimate of one call's cost, ms (NaN: none yet). */
  callMs: number;
  /** Not spread again before this time (ms, the pool's clock). */
  calmUntil: number;
  /**
   * Loaded again while isolated: its home member holds older code, and gets the new code on the
   * plugin's first call there (never while it is isolated).
   */
  homeStale?: boolean;
  refreshing?: Promise<unknown> | null;
}

export function createSandboxPool(members: Member[], options: SandboxPoolOptions = {}): SandboxPool {
  if (members.length === 0) throw new RangeError('createSandboxPool needs at least one member');
  return new Pool(members, options);
}

class Pool implements SandboxPool {
  private readonly replicate: boolean;
  private readonly replicateAt: number;
  private readonly maxCallMs: number;
  private readonly cooldownMs: number;
  private readonly clock: Clock;
  private readonly lane: IsolationLane | null;
  private readonly placements = new Map<string, Placement>();
  /** Plugins placed on each member. */
  private readonly plugins: number[];
  /** Calls in flight on each member. */
  private readonly inFlight: number[];
  private closed: Promise<void> | null = null;

  constructor(
    private readonly members: Member[],
    private readonly options: SandboxPoolOptions,
  ) {
    this.replicate = (options.replicate ?? true) && members.length > 1;
    this.replicateAt = options.replicateAt ?? 2;
    this.maxCallMs = options.replicateMaxCallMs ?? 5;
    this.cooldownMs = options.replicateCooldownMs ?? 60_000;
    this.clock = options.clock ?? createSystemClock();
    const { isolation } = options;
    this.lane = isolation ? new IsolationLane(isolation.ledger, isolation.start) : null;
    this.plugins = members.map(() => 0);
    this.inFlight = members.map(() => 0);
  }

  // --- the contract ---------------------------------------------------------------------------
  async loadPlugin(params: LoadPluginParams, callOptions?: SandboxCallOptions): Promise<PluginMeta> {
    const pluginId: unknown = params?.pluginId;
    if (typeof pluginId !== 'string') return this.on(0, (m) => m.loadPlugin(params, callOptions));
    // Loading again is how a caller re-enables a plugin (its kills stay on record).
    this.lane?.ledger.reset(pluginId);
    const known = this.placements.get(pluginId);
    if (known && this.lane?.holds(pluginId)) return this.reloadIsolated(known, params);
    // A reload happens on the home member alone: replicas of the old code are dropped first.
    if (known) this.collapse(pluginId, known, false);
    // Assign before the call, so loads issued together spread over the members.
    const member = known?.members[0] ?? this.leastLoaded();
    const placement: Placement = {
      members: [member],
      params,
      loading: new Set(),
      callMs: known ? known.callMs : Number.NaN,
      calmUntil: known ? known.calmUntil : 0,
    };
    if (!known) this.place(pluginId, placement);
    try {
      const meta = await this.on(member, (m) => m.loadPlugin(params, callOptions));
      if (known && this.placements.get(pluginId) === known) this.place(pluginId, placement);
      return meta;
    } catch (error) {
      // A failed first load leaves nothing behind; a failed reload keeps the old plugin.
      if (!known && this.placements.get(pluginId) === placement) this.place(pluginId, undefined);
      throw error;
    }
  }

  render(params: RenderParams, callOptions?: SandboxCallOptions): Promise<RenderResult> {
    return this.call(params, (m) => m.render(params, callOptions));
  }

  event(params: EventParams, callOptions?: SandboxCallOptions): Promise<EventResult> {
    return this.call(params, (m) => m.event(params, callOptions));
  }

  callJson(
    op: 'render' | 'event',
    params: RenderParams | EventParams,
    callOptions?: SandboxCallOptions,
  ): Promise<string> {
    // Members without a JSON path (in-process ones, say) serialize their result here.
    return this.call(params, (m) =>
      m.callJson
        ? m.callJson(op, params, callOptions)
        : (op === 'render'
            ? m.render(params as RenderParams, callOptions)
            : m.event(params as EventParams, callOptions)
          ).then((result) => JSON.stringify(result)),
    );
  }

  async disposePlugin(params: DisposePluginParams, callOptions?: SandboxCallOptions): Promise<void> {
    const pluginId: unknown = params?.pluginId;
    const placement = typeof pluginId === 'string' ? this.placements.get(pluginId) : undefined;
    if (placement) {
      this.collapse(pluginId as string, placement, false);
      this.lane?.release(pluginId as string);
    }
    try {
      await this.on(placement?.members[0] ?? 0, (m) => m.disposePlugin(params, callOptions));
    } finally {
      if (placement && this.placements.get(pluginId as string) === placement)
        this.place(pluginId as string, undefined);
    }
  }

  async health(callOptions?: SandboxCallOptions): Promise<HealthResult> {
    const [isolated, ...all] = await Promise.all([
      this.lane?.health() ?? null,
      ...this.members.map((_, i) => this.on(i, (m) => m.health(callOptions))),
    ]);
    const first = all[0]!;
    const reports = isolated ? [...all, isolated] : all;
    // A replicated plugin is listed once, as its home member reports it; an isolated one as
    // the lane reports it.
    const listed = (p: { pluginId: string }, i: number) =>
      !isolated?.plugins.some((q) => q.pluginId === p.pluginId) &&
      (this.placements.get(p.pluginId)?.members[0] ?? i) === i;
    return {
      source: first.source,
      engine: first.engine,
      heapBytes: reports.reduce((sum, h) => sum + h.heapBytes, 0),
      moduleRestarts: reports.reduce((sum, h) => sum + h.moduleRestarts, 0),
      // Members run the same host, so the same cap; the least is what every member honours.
      maxStackBytes: Math.min(...reports.map((h) => h.maxStackBytes)),
      plugins: [
        ...all.flatMap((h, i) => h.plugins.filter((p) => listed(p, i))),
        ...(isolated?.plugins ?? []),
      ],
    };
  }

  onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void {
    const offs = [...this.members.map((m) => m.onDiagnostic(listener)), this.lane?.onDiagnostic(listener)];
    return () => {
      for (const off of offs) off?.();
    };
  }

  queueDepth(): number {
    return this.inFlight.reduce((sum, n) => sum + n, this.lane?.queueDepth() ?? 0);
  }

  memberOf(pluginId: string): number | undefined {
    return this.placements.get(pluginId)?.members[0];
  }

  isolated(pluginId: string): boolean {
    return this.lane?.holds(pluginId) ?? false;
  }

  replicasOf(pluginId: string): number[] {
    return [...(this.placements.get(pluginId)?.members ?? [])];
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.members.map((m) => m.close()), this.lane?.close()]);
      await this.options.onClose?.();
    })();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- routing --------------------------------------------------------------------------------
  /** A render or event: routed, timed for the spreading policy, collapsed on failure. */
  private async call<T>(params: RenderParams | EventParams, run: (client: Member) => Promise<T>): Promise<T> {
    const pluginId: unknown = params?.pluginId;
    const placement = typeof pluginId === 'string' ? this.placements.get(pluginId) : undefined;
    const lane = this.lane;
    if (placement && lane) {
      if (lane.holds(pluginId as string)) return lane.call(pluginId as string, run);
      if (placement.homeStale) await this.refreshHome(placement);
    }
    const member = this.route(pluginId);
    // A member runs its calls one at a time, so a call sent behind `ahead` others takes about
    // (ahead + 1) calls' time: dividing gives what one call costs, queue or not.
    const ahead = this.inFlight[member]!;
    const started = this.clock.now();
    try {
      const result = await this.on(member, run);
      if (placement) {
        const ms = (this.clock.now() - started) / (ahead + 1);
        // Noise (a cold first call, a GC pause) only ever adds time: a faster call resets the
        // estimate, a slower one moves it a fifth of the way.
        placement.callMs = !(ms >= placement.callMs) ? ms : placement.callMs * 0.8 + ms * 0.2;
      }
      return result;
    } catch (error) {
      if (placement && COLLAPSE_CODES.has(CorralError.fromUnknown(error).code))
        this.collapse(pluginId as string, placement, true);
      // Charged by the member before its call failed: a kill is on the ledger already.
      if (placement && lane?.ledger.killedRecently(pluginId as string)) lane.admit(placement.params);
      throw error;
    }
  }

  private async on<T>(member: number, call: (client: Member) => Promise<T>): Promise<T> {
    this.inFlight[member]!++;
    try {
      return await call(this.members[member]!);
    } finally {
      this.inFlight[member]!--;
    }
  }

  /** Fewest plugins first (they are long-lived), then fewest calls in flight, then lowest index. */
  private leastLoaded(): number {
    const { plugins, inFlight } = this;
    let best = 0;
    for (let i = 1; i < this.members.length; i++) {
      if (plugins[i]! < plugins[best]! || (plugins[i] === plugins[best] && inFlight[i]! < inFlight[best]!))
        best = i;
    }
    return best;
  }

  private place(pluginId: string, placement: Placement | undefined): void {
    const previous = this.placements.get(pluginId);
    if (previous) for (const m of previous.members) this.plugins[m]!--;
    if (placement === undefined) this.placements.delete(pluginId);
    else {
      this.placements.set(pluginId, placement);
      for (const m of placement.members) this.plugins[m]!++;
    }
  }

  /**
   * The member for a call. An id never loaded goes to member 0, which answers it exactly as a
   * single sandbox would (INVALID_REQUEST before UNKNOWN_PLUGIN, say).
   */
  private route(pluginId: unknown): number {
    const placement = typeof pluginId === 'string' ? this.placements.get(pluginId) : undefined;
    if (!placement) return 0;
    let best = placement.members[0]!;
    for (const m of placement.members) if (this.inFlight[m]! < this.inFlight[best]!) best = m;
    if (this.replicate && this.inFlight[best]! >= this.replicateAt)
      this.spread(pluginId as string, placement, best);
    return best;
  }

  // --- spreading and isolation ------------------------------------------------------------------
  /** Load a hot, cheap, calm plugin into the least-busy member that does not hold it yet. */
  private spread(pluginId: string, placement: Placement, busiest: number): void {
    // Unmeasured (NaN) or slow calls do not spread.
    if (!(placement.callMs <= this.maxCallMs) || this.clock.now() < placement.calmUntil) return;
    const { inFlight } = this;
    let target = -1;
    for (let i = 0; i < this.members.length; i++) {
      if (placement.members.includes(i) || placement.loading.has(i)) continue;
      if (target < 0 || inFlight[i]! < inFlight[target]!) target = i;
    }
    if (target < 0 || inFlight[target]! >= inFlight[busiest]!) return;
    placement.loading.add(target);
    void this.on(target, (m) => m.loadPlugin(placement.params)).then(
      () => {
        placement.loading.delete(target);
        // Still the same load of the plugin, and nothing failed meanwhile: serve from it too.
        if (this.placements.get(pluginId) === placement && this.clock.now() >= placement.calmUntil) {
          placement.members.push(target);
          this.plugins[target]!++;
        } else void this.on(target, (m) => m.disposePlugin({ pluginId })).catch(() => undefined);
      },
      () => placement.loading.delete(target),
    );
  }

  /** Back to the home member alone, replicas disposed; after a failure, no spreading for a while. */
  private collapse(pluginId: string, placement: Placement, failed: boolean): void {
    if (failed) placement.calmUntil = this.clock.now() + this.cooldownMs;
    const [home, ...replicas] = placement.members;
    if (replicas.length === 0) return;
    placement.members = [home!];
    for (const m of replicas) {
      this.plugins[m]!--;
      void this.on(m, (c) => c.disposePlugin({ pluginId })).catch(() => undefined);
    }
  }

  /** A caller's load of an isolated plugin: into the lane now, into its home member when it is back. */
  private async reloadIsolated(placement: Placement, params: LoadPluginParams): Promise<PluginMeta> {
    const meta = await this.lane!.reload(params);
    placement.params = params;
    placement.homeStale = true;
    return meta;
  }

  /** Load the code its caller last loaded into the home member of a plugin back from isolation. */
  private refreshHome(placement: Placement): Promise<unknown> {
    placement.refreshing ??= this.on(placement.members[0]!, (m) => m.loadPlugin(placement.params)).then(
      () => {
        placement.homeStale = false;
        placement.refreshing = null;
      },
      (error: unknown) => {
        placement.refreshing = null;
        throw error;
      },
    );
    return placement.refreshing;
  }
}
