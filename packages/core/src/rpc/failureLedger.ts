/**
 * @module failureLedger
 * Each plugin's failures as the host saw them, hard kills included, kept where a worker's
 * death cannot reset them. The runtime inside a worker keeps its own count, but a kill ends that
 * worker and its count with it: without this ledger a plugin that forces kills would never be
 * circuit-broken. After `count` failures inside `windowMs` the plugin is refused on the host,
 * without reaching a worker, until its caller loads it again.
 */
import { CorralError, type ErrorCode } from '@corral/contracts';
import type { Clock } from '../clock.js';

/** Failures (limits, kills, crashes) inside `windowMs` after which a plugin is refused. */
export interface FailureThreshold {
  count: number;
  windowMs: number;
}

/** The runtime's own threshold, so both counts trip alike. */
export const DEFAULT_FAILURE_THRESHOLD: FailureThreshold = { count: 5, windowMs: 60_000 };

/** The failures a plugin is charged for: it ran out of a limit, or its call ended its worker. */
const CHARGED = new Set<ErrorCode>(['LIMIT_TIME', 'LIMIT_MEMORY', 'LIMIT_STACK', 'WORKER_CRASHED']);

export interface FailureLedger {
  /** Count `error` against the plugin whose call it ended, if it is a failure of that plugin. */
  charge(pluginId: string, error: unknown): void;
  /** PLUGIN_ERRORED when the plugin's circuit is open; null when it may run. */
  refusal(pluginId: string): CorralError | null;
  /** Whether a call of the plugin ended its worker inside the window. */
  killedRecently(pluginId: string): boolean;
  recentFailures(pluginId: string): number;
  /** The caller loaded the plugin again: close its circuit. Its kills stay on record. */
  reset(pluginId: string): void;
}

interface Entry {
  failures: number[];
  kills: number[];
  open: boolean;
}

export function createFailureLedger(
  clock: Clock,
  threshold: FailureThreshold = DEFAULT_FAILURE_THRESHOLD,
): FailureLedger {
  const entries = new Map<string, Entry>();

  /** The entry with times past the window dropped; gone when nothing is left to remember. */
  function current(pluginId: string): Entry | undefined {
    const entry = entries.get(pluginId);
    if (!entry) return undefined;
    const since = clock.now() - threshold.windowMs;
    entry.failures = entry.failures.filter((t) => t > since);
    entry.kills = entry.kills.filter((t) => t > since);
    if (!entry.open && entry.failures.length === 0 && entry.kills.length === 0) {
      entries.delete(pluginId);
      return undefined;
    }
    return entry;
  }

  return {
    charge(pluginId, error) {
      if (!(error instanceof CorralError)) return;
      const tripped = error.code === 'PLUGIN_ERRORED';
      if (!tripped && !CHARGED.has(error.code)) return;
      const entry = current(pluginId) ?? { failures: [], kills: [], open: false };
      entries.set(pluginId, entry);
      if (tripped) {
        entry.open = true;
        return;
      }
      const now = clock.now();
      entry.failures.push(now);
      const killed =
        error.code === 'WORKER_CRASHED' || (error.details as { killed?: unknown })?.killed === true;
      if (killed) entry.kills.push(now);
      if (entry.failures.length >= threshold.count) entry.open = true;
    },
    refusal(pluginId) {
      const entry = current(pluginId);
      if (!entry?.open) return null;
      return new CorralError(
        'PLUGIN_ERRORED',
        `Plugin '${pluginId}' failed too often and is disabled until it is reloaded`,
        { pluginId, recentFailures: entry.failures.length, recentKills: entry.kills.length },
      );
    },
    killedRecently: (pluginId) => (current(pluginId)?.kills.length ?? 0) > 0,
    recentFailures: (pluginId) => current(pluginId)?.failures.length ?? 0,
    reset(pluginId) {
      const entry = current(pluginId);
      if (!entry) return;
      entry.open = false;
      entry.failures = [];
      current(pluginId);
    },
  };
}
