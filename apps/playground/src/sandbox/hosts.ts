/**
 * @module hosts
 * The two places a plugin can run, behind core's `SandboxClient`: a Web Worker in this tab
 * (`@corral/worker-browser`) and the Corral server (core's `createHttpSandbox`). Every plugin
 * goes through ONE hybrid router over both (`createHybridSandbox`), wrapped in a session
 * recorder, so each call's placement is decided (and shown) in one place and recorded for
 * replay. The playground only renders and dispatches; no host runs plugin code on the main thread.
 */
import type { Diagnostic } from '@corral/contracts';
import {
  createHybridSandbox,
  createSessionRecorder,
  type HybridSandbox,
  type PlacementSetting,
  type RoutingContext,
  type SandboxClient,
  type SessionRecorder,
} from '@corral/core';
import type { HostKind } from '../store/session.js';

/** A host a recording can be replayed against: one side, bypassing the router. */
export type SideKind = 'worker' | 'server';

export interface Hosts {
  /**
   * The client plugins on `kind` are called through (the recorded router), or `null` when this
   * page cannot offer that placement (see `unavailable`).
   */
  client(kind: HostKind): SandboxClient | null;
  /** Why a placement cannot be used here, or `null` when it can. */
  unavailable(kind: HostKind): string | null;
  /** One side's own client (for replaying a file against it), or `null`. */
  side(kind: SideKind): SandboxClient | null;
  /** The router's diagnostics and log lines, tagged with the side each call ran on. */
  onDiagnostic(listener: (diagnostic: Diagnostic, host: string) => void): () => void;
  readonly router: HybridSandbox;
  readonly recorder: SessionRecorder;
  readonly context: RoutingContext;
  close(): Promise<void>;
}

export interface HostsOptions {
  worker?: SandboxClient | { unavailable: string };
  server?: SandboxClient | { unavailable: string };
  /** `design` (default): auto runs in the tab; `production`: on the server with a local preview. */
  context?: RoutingContext;
}

const isClient = (v: SandboxClient | { unavailable: string } | undefined): v is SandboxClient =>
  !!v && typeof (v as SandboxClient).render === 'function';

/** The router's name for a stored host (`worker` is the session format's name for local). */
export const placementOf = (kind: HostKind): PlacementSetting => (kind === 'worker' ? 'local' : kind);

export function createHosts(options: HostsOptions): Hosts {
  const sides: Partial<Record<SideKind, SandboxClient>> = {};
  const reasons: Partial<Record<SideKind, string>> = {};
  for (const kind of ['worker', 'server'] as const) {
    const v = options[kind];
    if (isClient(v)) sides[kind] = v;
    else reasons[kind] = v?.unavailable ?? `The ${kind} host is not configured.`;
  }
  const context = options.context ?? 'design';
  const router = createHybridSandbox({
    ...(sides.worker && { local: sides.worker }),
    ...(sides.server && { server: sides.server }),
    context,
  });
  const recorder = createSessionRecorder(router, { maxCalls: 1_000 });
  const unavailable = (kind: HostKind): string | null => {
    if (kind === 'auto')
      return sides.worker || sides.server
        ? null
        : 'Neither the in-browser worker nor the server is available.';
    return sides[kind] ? null : (reasons[kind] ?? null);
  };
  return {
    client: (kind) => (unavailable(kind) === null ? recorder.client : null),
    unavailable,
    side: (kind) => sides[kind] ?? null,
    onDiagnostic(listener) {
      return router.onDiagnostic((d) => {
        const placement = d.kind === 'call' ? d.placement : undefined;
        listener(d, placement === 'local' ? 'worker' : (placement ?? 'router'));
      });
    },
    router,
    recorder,
    context,
    async close() {
      await router.close();
      await Promise.all(Object.values(sides).map((c) => c.close().catch(() => undefined)));
    },
  };
}
