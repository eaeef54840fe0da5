/**
 * @module heldPlugins
 * The plugins a client's caller loaded (their code and limits, to load them again), and which
 * of them the current worker holds. A replacement worker holds none: each plugin is loaded into
 * it on its own next call, once however many calls wait for it, so recovering from a kill costs
 * the plugins that are used, not every plugin that is warm.
 */
import { LIMIT_PROFILES, resolveLimits, type LoadPluginParams, type RuntimeLimits } from '@corral/contracts';

export interface CachedPlugin {
  params: LoadPluginParams;
  limits: RuntimeLimits;
}

export class HeldPlugins {
  private readonly cached = new Map<string, CachedPlugin>();
  /** Plugins the current worker holds. */
  private held = new Set<string>();
  /** Loads into the current worker under way, by plugin. */
  private loading = new Map<string, Promise<void>>();

  /** The limits a load asks for, as the client times its calls. */
  static limitsOf(params: LoadPluginParams, ceiling?: RuntimeLimits): RuntimeLimits {
    // An unknown profile is the other side's INVALID_REQUEST to report; the deadline here must
    // still be a real one.
    const profile =
      params?.profile && Object.hasOwn(LIMIT_PROFILES, params.profile) ? params.profile : 'default';
    return resolveLimits(profile, params?.limits ?? {}, ceiling);
  }

  get(pluginId: unknown): CachedPlugin | undefined {
    return typeof pluginId === 'string' ? this.cached.get(pluginId) : undefined;
  }

  /** The caller loaded it, into the current worker. */
  loaded(params: LoadPluginParams, limits: RuntimeLimits): void {
    this.cached.set(params.pluginId, { params: { ...params }, limits });
    this.held.add(params.pluginId);
  }

  forget(pluginId: string): void {
    this.cached.delete(pluginId);
    this.lost(pluginId);
  }

  /** The current worker does not hold it (it said UNKNOWN_PLUGIN: evicted, another replica). */
  lost(pluginId: string): void {
    this.held.delete(pluginId);
    this.loading.delete(pluginId);
  }

  /** A new worker: it holds nothing yet. */
  replaced(): void {
    this.held = new Set();
    this.loading = new Map();
  }

  /**
   * Null when the current worker holds the plugin (the call goes out at once, in its turn);
   * otherwise a load from cached code with `load`, shared by every call that waits for it. A
   * failed load is forgotten, so the next call tries again.
   */
  ensure(plugin: CachedPlugin, load: (plugin: CachedPlugin) => Promise<unknown>): Promise<void> | null {
    const pluginId = plugin.params.pluginId;
    if (this.held.has(pluginId)) return null;
    const under = this.loading.get(pluginId);
    if (under) return under;
    const { held, loading } = this;
    const done = load(plugin).then(() => {
      if (loading.get(pluginId) === done) held.add(pluginId);
    });
    loading.set(pluginId, done);
    const settled = () => {
      if (loading.get(pluginId) === done) loading.delete(pluginId);
    };
    done.then(settled, settled);
    return done;
  }
}
