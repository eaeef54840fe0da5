/**
 * @module callTracker
 * The calls in flight per plugin, as the sandboxes' diagnostics listener sees them: each
 * diagnostic a worker posts goes to the calls of its plugin that collect notifications (NDJSON
 * answers), and each `log()` line to the server's log — with the tenant's plugin id and the
 * request id, at most MAX_LOG_LINES_PER_CALL per call.
 */
import type { Diagnostic, LogDiagnostic, RpcNotification } from '@corral/contracts';

/** One `log()` line of a plugin, for the server's own log. */
export interface PluginLogLine {
  /** The id the tenant knows the plugin by. */
  pluginId: string;
  tenant: string;
  level: LogDiagnostic['level'];
  message: string;
  /** The request whose call logged it. */
  requestId?: string;
}

/** A call in flight. */
export interface CallRecord {
  tenant: string;
  pluginId: string;
  requestId: string | undefined;
  /** Where the call's notifications go, when the caller asked for them. */
  notifications: RpcNotification[] | null;
}

export interface CallTracker {
  /** The sandboxes' diagnostics listener. */
  onDiagnostic(diagnostic: Diagnostic): void;
  /** Register a call of the plugin under sandbox id `key`; returns its removal. */
  track(key: string, record: CallRecord): () => void;
}

/**
 * Plugin log lines a call may put into the server's log; the rest are dropped (the runtime
 * already caps each line at the profile's `maxLogBytes`). A plugin must not be able to flood the
 * operator's log, whatever its own log bound.
 */
export const MAX_LOG_LINES_PER_CALL = 20;

export function createCallTracker(onPluginLog?: (line: PluginLogLine) => void): CallTracker {
  const calls = new Map<string, Map<CallRecord, { logged: number }>>();

  function reportLog(record: CallRecord, counter: { logged: number }, { level, message }: LogDiagnostic) {
    if (!onPluginLog || counter.logged > MAX_LOG_LINES_PER_CALL) return;
    const { tenant, pluginId, requestId } = record;
    const dropped = ++counter.logged > MAX_LOG_LINES_PER_CALL;
    const line = dropped
      ? {
          level: 'warn' as const,
          message: `more than ${MAX_LOG_LINES_PER_CALL} log lines in one call; the rest are dropped`,
        }
      : { level, message };
    onPluginLog({ tenant, pluginId, ...line, ...(requestId ? { requestId } : {}) });
  }

  return {
    onDiagnostic(diagnostic) {
      const records = calls.get(diagnostic.pluginId);
      // Divergences come from a hybrid router, never from the runtime a server wraps.
      if (!records || diagnostic.kind === 'divergence') return;
      const notification: RpcNotification =
        diagnostic.kind === 'log'
          ? { notification: 'log', log: diagnostic }
          : { notification: 'diagnostic', diagnostic };
      for (const record of records.keys()) record.notifications?.push(notification);
      // Concurrent calls of one plugin cannot tell whose line it is: the oldest call owns it.
      const [first] = records;
      if (diagnostic.kind === 'log') reportLog(first![0], first![1], diagnostic);
    },
    track(key, record) {
      let records = calls.get(key);
      if (!records) calls.set(key, (records = new Map()));
      records.set(record, { logged: 0 });
      return () => {
        records.delete(record);
        if (records.size === 0) calls.delete(key);
      };
    },
  };
}
