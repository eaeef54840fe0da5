/**
 * @module hosts
 * The two places a plugin can run, behind core's `SandboxClient`: a Web Worker in this tab
 * (`@corral/worker-browser`) and the Corral server (core's `createHttpSandbox`). The playground
 * only renders and dispatches; neither host runs plugin code on the main thread.
 */
import type { Diagnostic } from '@corral/contracts';
import type { SandboxClient } from '@corral/core';
import type { HostKind } from '../store/session.js';

export interface Hosts {
  /** The client of a host, or `null` when this page cannot offer it (see `unavailable`). */
  client(kind: HostKind): SandboxClient | null;
  /** Why a host cannot be used here, or `null` when it can. */
  unavailable(kind: HostKind): string | null;
  /** Every host's diagnostics and log lines, tagged with the host they came from. */
  onDiagnostic(listener: (diagnostic: Diagnostic, host: HostKind) => void): () => void;
  close(): Promise<void>;
}

export interface HostsOptions {
  worker?: SandboxClient | { unavailable: string };
  server?: SandboxClient | { unavailable: string };
}

const isClient = (v: SandboxClient | { unavailable: string } | undefined): v is SandboxClient =>
  !!v && typeof (v as SandboxClient).render === 'function';

export function createHosts(options: HostsOptions): Hosts {
  const clients: Partial<Record<HostKind, SandboxClient>> = {};
  const reasons: Partial<Record<HostKind, string>> = {};
  for (const kind of ['worker', 'server'] as const) {
    const v = options[kind];
    if (isClient(v)) clients[kind] = v;
    else reasons[kind] = v?.unavailable ?? `The ${kind} host is not configured.`;
  }
  const listeners = new Set<(d: Diagnostic, host: HostKind) => void>();
  for (const kind of ['worker', 'server'] as const) {
    clients[kind]?.onDiagnostic((d) => {
      for (const l of listeners) l(d, kind);
    });
  }
  return {
    client: (kind) => clients[kind] ?? null,
    unavailable: (kind) => (clients[kind] ? null : (reasons[kind] ?? null)),
    onDiagnostic(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}
