/**
 * @module createSandboxPool
 * Many SandboxClients behind one: a pool of workers (Node threads, browser workers) that reads
 * like a single sandbox. Each member holds plugin state — a QuickJS runtime per loaded plugin —
 * so calls are not spread over members like stateless tasks: a plugin is assigned to the
 * least-loaded member when it is first loaded and every later call for it goes there. One
 * plugin's long call then queues only behind its own member, never the whole pool.
 *
 * Runtime-agnostic: members are any SandboxClient; supervision (hard kill, respawn, reload of
 * the member's plugins) stays inside each member's own client.
 */
import type {
  Diagnostic,
  DisposePluginParams,
  EventParams,
  EventResult,
  HealthResult,
  LoadPluginParams,
  PluginMeta,
  RenderParams,
  RenderResult,
} from '@corral/contracts';
import type { JsonResultClient, SandboxClient } from './createSandboxClient.js';

/** A pool reads like one SandboxClient, plus what a host wants to watch. */
export interface SandboxPool extends SandboxClient, JsonResultClient {
  /** Calls sent and not yet settled, over all members. */
  queueDepth(): number;
  /** Which member a plugin is assigned to, if it was loaded. */
  memberOf(pluginId: string): number | undefined;
}

export interface SandboxPoolOptions {
  /** Called after every member has been closed (e.g. to stop a hot spare). */
  onClose?: () => void | Promise<void>;
}

export function createSandboxPool(
  members: (SandboxClient & Partial<JsonResultClient>)[],
  options: SandboxPoolOptions = {},
): SandboxPool {
  if (members.length === 0) throw new RangeError('createSandboxPool needs at least one member');
  const assigned = new Map<string, number>();
  const plugins = members.map(() => 0);
  const inFlight = members.map(() => 0);
  let closed: Promise<void> | null = null;

  /** Fewest plugins first (they are long-lived), then fewest calls in flight, then lowest index. */
  function leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < members.length; i++) {
      if (plugins[i]! < plugins[best]! || (plugins[i] === plugins[best] && inFlight[i]! < inFlight[best]!))
        best = i;
    }
    return best;
  }

  function assign(pluginId: string, member: number | undefined): void {
    const previous = assigned.get(pluginId);
    if (previous !== undefined) plugins[previous]!--;
    if (member === undefined) assigned.delete(pluginId);
    else {
      assigned.set(pluginId, member);
      plugins[member]!++;
    }
  }

  /**
   * The member for a call. An id never loaded goes to member 0, which answers it exactly as a
   * single sandbox would (INVALID_REQUEST before UNKNOWN_PLUGIN, say).
   */
  function route(pluginId: unknown): number {
    return (typeof pluginId === 'string' ? assigned.get(pluginId) : undefined) ?? 0;
  }

  async function on<T>(
    member: number,
    call: (client: SandboxClient & Partial<JsonResultClient>) => Promise<T>,
  ): Promise<T> {
    inFlight[member]!++;
    try {
      return await call(members[member]!);
    } finally {
      inFlight[member]!--;
    }
  }

  return {
    async loadPlugin(params: LoadPluginParams): Promise<PluginMeta> {
      const pluginId: unknown = params?.pluginId;
      if (typeof pluginId !== 'string') return on(0, (m) => m.loadPlugin(params));
      const known = assigned.get(pluginId);
      // Assign before the call, so loads issued together spread over the members.
      const member = known ?? leastLoaded();
      if (known === undefined) assign(pluginId, member);
      try {
        return await on(member, (m) => m.loadPlugin(params));
      } catch (error) {
        // A failed first load leaves nothing behind; a failed reload keeps the old plugin.
        if (known === undefined && assigned.get(pluginId) === member) assign(pluginId, undefined);
        throw error;
      }
    },

    render(params: RenderParams): Promise<RenderResult> {
      return on(route(params?.pluginId), (m) => m.render(params));
    },

    event(params: EventParams): Promise<EventResult> {
      return on(route(params?.pluginId), (m) => m.event(params));
    },

    callJson(op: 'render' | 'event', params: RenderParams | EventParams): Promise<string> {
      // Members without a JSON path (in-process ones, say) serialize their result here.
      return on(route(params?.pluginId), (m) =>
        m.callJson
          ? m.callJson(op, params)
          : (op === 'render' ? m.render(params as RenderParams) : m.event(params as EventParams)).then(
              (result) => JSON.stringify(result),
            ),
      );
    },

    async disposePlugin(params: DisposePluginParams): Promise<void> {
      const pluginId: unknown = params?.pluginId;
      const member = route(pluginId);
      try {
        await on(member, (m) => m.disposePlugin(params));
      } finally {
        if (typeof pluginId === 'string' && assigned.get(pluginId) === member) assign(pluginId, undefined);
      }
    },

    async health(): Promise<HealthResult> {
      const all = await Promise.all(members.map((_, i) => on(i, (m) => m.health())));
      const first = all[0]!;
      return {
        source: first.source,
        engine: first.engine,
        heapBytes: all.reduce((sum, h) => sum + h.heapBytes, 0),
        moduleRestarts: all.reduce((sum, h) => sum + h.moduleRestarts, 0),
        plugins: all.flatMap((h) => h.plugins),
      };
    },

    onDiagnostic(listener: (diagnostic: Diagnostic) => void): () => void {
      const offs = members.map((m) => m.onDiagnostic(listener));
      return () => {
        for (const off of offs) off();
      };
    },

    queueDepth(): number {
      return inFlight.reduce((sum, n) => sum + n, 0);
    },

    memberOf(pluginId: string): number | undefined {
      return assigned.get(pluginId);
    },

    close(): Promise<void> {
      closed ??= (async () => {
        await Promise.allSettled(members.map((m) => m.close()));
        await options.onClose?.();
      })();
      return closed;
    },

    [Symbol.asyncDispose](): Promise<void> {
      return this.close();
    },
  };
}
