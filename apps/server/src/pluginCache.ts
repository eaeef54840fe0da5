/**
 * @module pluginCache
 * The bounded LRU of warm plugin runtimes a replica holds, keyed by tenant and pluginId.
 *
 * Why tenants: `/v1/rpc` lets a caller pick any pluginId. Were ids global, one API key could
 * replace another key's plugin with code of its own (and so render into the other tenant's UI,
 * or drive it into PLUGIN_ERRORED). So each (tenant, pluginId) pair maps to an internal id —
 * `c-` + sha256 — under which the plugin lives in the sandbox, and answers are written back
 * with the caller's own id. Plugins never see either id.
 */
import { createHash } from 'node:crypto';

/** One plugin this replica holds. */
export interface HeldPlugin {
  /** The id inside the sandbox. */
  key: string;
  /** Who loaded it (an API key's hash, or `public` without keys). */
  tenant: string;
  /** The id the tenant knows it by. */
  pluginId: string;
  /** Whether it runs in the quarantine lane (it overran a limit before being loaded again). */
  quarantined: boolean;
}

export interface PluginCache {
  /** The sandbox id of a tenant's plugin (whether held or not). */
  keyOf(tenant: string, pluginId: string): string;
  /** The held plugin, marked most recently used. */
  use(key: string): HeldPlugin | undefined;
  /** Record a (re)loaded plugin; evicts the least recently used one past the bound. */
  hold(plugin: HeldPlugin): void;
  /** Forget a plugin; true when it was held. */
  drop(key: string): boolean;
  /** The plugins a tenant holds here. */
  heldBy(tenant: string): HeldPlugin[];
  /** Find by sandbox id without touching recency. */
  peek(key: string): HeldPlugin | undefined;
  size(): number;
  count(match: (plugin: HeldPlugin) => boolean): number;
}

export function createPluginCache(maxPlugins: number, onEvict: (plugin: HeldPlugin) => void): PluginCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  const held = new Map<string, HeldPlugin>();
  // Ids hashed lately: a warm plugin's calls skip the SHA-256. Bounded; cleared when full.
  const keys = new Map<string, string>();
  return {
    keyOf(tenant, pluginId) {
      const name = `${tenant}\n${pluginId}`;
      let key = keys.get(name);
      if (key === undefined) {
        key = `c-${createHash('sha256').update(name).digest('hex')}`;
        if (keys.size >= 4 * maxPlugins + 64) keys.clear();
        keys.set(name, key);
      }
      return key;
    },
    use(key) {
      const plugin = held.get(key);
      if (plugin) {
        held.delete(key);
        held.set(key, plugin);
      }
      return plugin;
    },
    hold(plugin) {
      held.delete(plugin.key);
      held.set(plugin.key, plugin);
      while (held.size > maxPlugins) {
        const [oldest] = held.values();
        held.delete(oldest!.key);
        onEvict(oldest!);
      }
    },
    drop: (key) => held.delete(key),
    heldBy: (tenant) => [...held.values()].filter((p) => p.tenant === tenant),
    peek: (key) => held.get(key),
    size: () => held.size,
    count(match) {
      let n = 0;
      for (const plugin of held.values()) if (match(plugin)) n++;
      return n;
    },
  };
}

/** The REST id of a plugin: `sha256-` + hex of `<profile>\n<code>`, so every replica derives the same one. */
export function contentPluginId(code: string, profile = 'default'): string {
  return `sha256-${createHash('sha256').update(`${profile}\n${code}`).digest('hex')}`;
}
