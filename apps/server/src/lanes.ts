/**
 * @module lanes
 * Where a replica's plugins live: the LRU of warm plugins (tenant-scoped sandbox ids) over the
 * main sandbox and the quarantine lane, and the one place a contract op is sent to a sandbox.
 *
 * The quarantine lane: a plugin whose call overran a limit (time, memory, stack) is a suspect,
 * and the next time it is loaded — a client re-loading it after PLUGIN_ERRORED, say — it goes to
 * a separate small pool, at a lower CPU priority. A hostile plugin then slows only other
 * suspects, never the benign plugins sharing the main workers. A plugin that forces hard kills
 * is isolated at once, inside the main pool (core's isolation lane), and its failures are
 * counted on the host, so its circuit opens however often its worker is replaced.
 */
import type { Diagnostic, HealthResult, RpcRequest, RpcResult } from '@corral/contracts';
import { JsonText } from '@corral/core';
import { createPluginCache, type PluginCache } from './pluginCache.js';
import type { ServerSandbox } from './sandbox.js';

export interface LanesOptions {
  sandbox: ServerSandbox;
  /** Where suspects run once re-loaded; without one they stay in `sandbox`. */
  quarantine?: ServerSandbox | null;
  maxPlugins: number;
}

export interface Lanes {
  cache: PluginCache;
  /** Send a validated request to the lane its plugin lives in (`key`: its sandbox id). */
  run(tenant: string, request: RpcRequest, key: string | null): Promise<RpcResult | JsonText>;
  /** Mark a plugin as a suspect: its next load goes to the quarantine lane. */
  suspect(key: string): void;
  /** A `health` of every lane, so a worker's pending engine repair happens now. */
  warm(): void;
  /** Listen to the diagnostics of every lane. */
  onDiagnostic(listener: (diagnostic: Diagnostic) => void): void;
}

const MAX_SUSPECTS = 4096;

export function createLanes({ sandbox, quarantine = null, maxPlugins }: LanesOptions): Lanes {
  const laneOf = ({ quarantined }: { quarantined: boolean }) =>
    quarantined && quarantine ? quarantine : sandbox;
  const suspects = new Set<string>();
  const cache = createPluginCache(maxPlugins, (evicted) => {
    void laneOf(evicted)
      .disposePlugin({ pluginId: evicted.key })
      .catch(() => undefined);
  });

  async function run(tenant: string, request: RpcRequest, key: string | null) {
    const inSandbox = { ...(request.params as object), pluginId: key } as never;
    const held = key === null ? undefined : cache.peek(key);
    const lane = laneOf({ quarantined: held?.quarantined ?? false });
    switch (request.op) {
      case 'loadPlugin': {
        const quarantined = quarantine !== null && suspects.has(key!);
        const meta = await laneOf({ quarantined }).loadPlugin(inSandbox);
        cache.hold({ key: key!, tenant, pluginId: request.params.pluginId, quarantined });
        if (held && held.quarantined !== quarantined) {
          void lane.disposePlugin({ pluginId: key! }).catch(() => undefined);
        }
        return meta;
      }
      case 'render':
      case 'event':
        // The result only goes back out as JSON: take the worker's text, never parse it here.
        if (lane.callJson) return new JsonText(await lane.callJson(request.op, inSandbox));
        return request.op === 'render' ? lane.render(inSandbox) : lane.event(inSandbox);
      case 'disposePlugin':
        cache.drop(key!);
        await lane.disposePlugin(inSandbox);
        return null;
      case 'health': {
        const [main, other] = await Promise.all([sandbox.health(), quarantine?.health()]);
        return healthOf(cache, tenant, other ? mergeHealth(main, other) : main);
      }
    }
  }

  return {
    cache,
    run,
    suspect(key) {
      if (!quarantine || cache.peek(key)?.quarantined) return;
      suspects.delete(key);
      suspects.add(key);
      if (suspects.size > MAX_SUSPECTS) suspects.delete(suspects.values().next().value!);
    },
    warm() {
      void Promise.all([sandbox.health(), quarantine?.health()]).catch(() => undefined);
    },
    onDiagnostic(listener) {
      for (const lane of quarantine ? [sandbox, quarantine] : [sandbox]) lane.onDiagnostic(listener);
    },
  };
}

/** Only this tenant's plugins, under the ids it knows them by. */
function healthOf(cache: PluginCache, tenant: string, health: HealthResult): HealthResult {
  const plugins = health.plugins.flatMap((p) => {
    const held = cache.peek(p.pluginId);
    return held && held.tenant === tenant ? [{ ...p, pluginId: held.pluginId }] : [];
  });
  return { ...health, plugins };
}

function mergeHealth(a: HealthResult, b: HealthResult): HealthResult {
  return {
    ...a,
    heapBytes: a.heapBytes + b.heapBytes,
    moduleRestarts: a.moduleRestarts + b.moduleRestarts,
    plugins: [...a.plugins, ...b.plugins],
  };
}
