/**
 * @module isolationLane
 * Where a pool puts a plugin whose call got its worker killed: a member of its own, started on
 * first need, shared only with other plugins that did the same. A kill stops every call queued
 * on that worker, and in a browser the killed thread burns a core for seconds more, so a plugin
 * that forces kills must not share a thread with benign ones again. It stays here while its
 * kills are recent (the ledger's window) and goes back to its home member after.
 */
import {
  CorralError,
  type Diagnostic,
  type HealthResult,
  type LoadPluginParams,
  type PluginMeta,
} from '@corral/contracts';
import type { FailureLedger } from './failureLedger.js';
import type { Member } from './sandboxClient.js';

interface Inmate {
  params: LoadPluginParams;
  /** Its load into the lane's member, done or under way; null until its first call here. */
  loaded: Promise<unknown> | null;
}

export class IsolationLane {
  private member: Promise<Member> | null = null;
  private readonly inmates = new Map<string, Inmate>();
  private readonly listeners = new Set<(diagnostic: Diagnostic) => void>();
  private inFlight = 0;
  private closed = false;

  constructor(
    readonly ledger: FailureLedger,
    private readonly start: () => Promise<Member>,
  ) {}

  /** Whether the plugin's calls go here. One whose kills are past the window is let go. */
  holds(pluginId: string): boolean {
    if (!this.inmates.has(pluginId)) return false;
    if (this.ledger.killedRecently(pluginId)) return true;
    this.release(pluginId);
    return false;
  }

  /** Take a plugin whose call got its worker killed; it is loaded here on its next call. */
  admit(params: LoadPluginParams): void {
    if (!this.inmates.has(params.pluginId)) this.inmates.set(params.pluginId, { params, loaded: null });
  }

  /** The caller loaded a held plugin again: the new code is loaded here. */
  async reload(params: LoadPluginParams): Promise<PluginMeta> {
    const inmate: Inmate = { params, loaded: null };
    this.inmates.set(params.pluginId, inmate);
    const member = await this.started();
    return this.counted(() => this.load(inmate, member) as Promise<PluginMeta>);
  }

  /** Run a call of a held plugin on the lane's member, loading the plugin there first if needed. */
  async call<T>(pluginId: string, run: (member: Member) => Promise<T>): Promise<T> {
    const inmate = this.inmates.get(pluginId)!;
    const member = await this.started();
    const loaded = inmate.loaded ?? this.load(inmate, member);
    return this.counted(async () => {
      await loaded;
      return run(member);
    });
  }

  /** The inmate's load into the member, shared by the calls that wait for it; a failed one is forgotten. */
  private load(inmate: Inmate, member: Member): Promise<unknown> {
    const loading = member.loadPlugin(inmate.params);
    inmate.loaded = loading;
    loading.catch(() => {
      if (inmate.loaded === loading) inmate.loaded = null;
    });
    return loading;
  }

  release(pluginId: string): void {
    const inmate = this.inmates.get(pluginId);
    this.inmates.delete(pluginId);
    if (!inmate?.loaded || !this.member) return;
    void this.member.then((m) => m.disposePlugin({ pluginId })).catch(() => undefined);
  }

  queueDepth(): number {
    return this.inFlight;
  }

  /** The lane member's health, once it has started; its plugins are the held ones. */
  async health(): Promise<HealthResult | null> {
    if (!this.member) return null;
    const health = await (await this.member).health();
    return { ...health, plugins: health.plugins.filter((p) => this.inmates.has(p.pluginId)) };
  }

  onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    const member = await this.member?.catch(() => null);
    await member?.close();
  }

  /** The lane's member, started on first need; a failed start is tried again next time. */
  private started(): Promise<Member> {
    if (this.member) return this.member;
    const starting = this.start().then((member) => {
      if (this.closed) {
        void member.close();
        throw new CorralError('OVERLOADED', 'The sandbox is closed');
      }
      member.onDiagnostic((d) => {
        for (const listener of this.listeners) listener(d);
      });
      return member;
    });
    this.member = starting;
    starting.catch(() => {
      if (this.member === starting) this.member = null;
    });
    return starting;
  }

  private async counted<T>(run: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await run();
    } finally {
      this.inFlight--;
    }
  }
}
