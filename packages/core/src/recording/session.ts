/**
 * @module session
 * Record a session and replay it against any host. The recorder wraps a SandboxClient: every
 * load keeps the plugin's code (and its SHA-256), every render and event keeps the exact params it
 * ran with — `now` and `seed` filled in before it goes out — and what came back. Calls are
 * deterministic, so a replay on another host (in-thread, a worker, the server) must give back the
 * same trees, states and dispatches; `replaySession` says where it does not.
 */
import {
  CorralError,
  invalidRequest,
  validateSessionRecording,
  type Diagnostic,
  type EventParams,
  type Placement,
  type RecordedCall,
  type RecordedPlugin,
  type RenderParams,
  type RuntimeError,
  type SessionRecording,
} from '@corral/contracts';
import { createSystemClock, type Clock } from '../clock.js';
import { pooledRandomSeeds } from '../randomSeeds.js';
import type { SandboxClient } from '../rpc/sandboxClient.js';
import { portableDispatch } from '../hybrid/compare.js';

/** Lower-case hex SHA-256 of a string's UTF-8 bytes (WebCrypto: browsers, Node, workers). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface SessionRecorder {
  /** Use this client instead of the wrapped one: its calls are recorded. */
  readonly client: SandboxClient;
  /** The session so far, as a versioned document (a copy). */
  recording(): SessionRecording;
}

export interface RecorderOptions {
  clock?: Clock;
  seeds?: () => number;
  /**
   * Keep only the last `maxCalls` calls (a long-lived tab). Each call is whole — its params carry
   * the states it ran with — so what is kept still replays. Default: every call.
   */
  maxCalls?: number;
}

/** Wraps a client so that its loads, renders and events are recorded. */
export function createSessionRecorder(inner: SandboxClient, options: RecorderOptions = {}): SessionRecorder {
  const clock = options.clock ?? createSystemClock();
  const seeds = options.seeds ?? pooledRandomSeeds();
  const plugins = new Map<string, RecordedPlugin>();
  const calls: RecordedCall[] = [];
  const recordedAt = new Date(clock.epochNow()).toISOString();
  const maxCalls = options.maxCalls ?? Infinity;
  const keep = (call: RecordedCall) => {
    calls.push(call);
    if (calls.length > maxCalls) calls.splice(0, calls.length - maxCalls);
  };
  const stamped = <P extends RenderParams | EventParams>(params: P): P => ({
    ...params,
    now: params.now ?? clock.epochNow(),
    seed: params.seed ?? seeds(),
  });
  const client: SandboxClient = {
    async loadPlugin(params, callOptions) {
      const meta = await inner.loadPlugin(params, callOptions);
      plugins.set(params.pluginId, {
        pluginId: params.pluginId,
        codeSha256: await sha256Hex(params.code),
        code: params.code,
        ...(params.profile !== undefined && { profile: params.profile }),
        ...(params.limits !== undefined && { limits: params.limits }),
      });
      return meta;
    },
    async render(params, callOptions) {
      const sent = stamped(params);
      try {
        const result = await inner.render(sent, callOptions);
        keep({ op: 'render', params: sent, tree: result.tree, ...placementOf(result.diagnostics) });
        return result;
      } catch (error) {
        keep({ op: 'render', params: sent, error: wire(error) });
        throw error;
      }
    },
    async event(params, callOptions) {
      const sent = stamped(params);
      try {
        const result = await inner.event(sent, callOptions);
        keep({
          op: 'event',
          params: sent,
          pluginState: result.pluginState,
          dispatches: result.dispatches,
          ...placementOf(result.diagnostics),
        });
        return result;
      } catch (error) {
        keep({ op: 'event', params: sent, error: wire(error) });
        throw error;
      }
    },
    disposePlugin: (params, callOptions) => inner.disposePlugin(params, callOptions),
    health: (callOptions) => inner.health(callOptions),
    onDiagnostic: (listener) => inner.onDiagnostic(listener),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  return {
    client,
    recording: () => structuredClone({ version: 1, recordedAt, plugins: [...plugins.values()], calls }),
  };
}

/** One recorded call whose replay came back different. */
export interface ReplayMismatch {
  /** Index of the call in `recording.calls`. */
  index: number;
  op: 'render' | 'event';
  pluginId: string;
  /** What differed: `tree`, `pluginState`, `dispatches` or `outcome` (success vs failure, or the code). */
  fields: Array<'tree' | 'pluginState' | 'dispatches' | 'outcome'>;
  /** On an `outcome` mismatch: the recorded call's error code, if it failed. */
  recordedError?: string;
  /** On an `outcome` mismatch: the replay's error and its message, if it failed. */
  replayError?: string;
}

export interface ReplayReport {
  /** Calls replayed. */
  calls: number;
  mismatches: ReplayMismatch[];
}

/**
 * Checks a recording (schema, version, each plugin's code against its SHA-256) and returns it
 * typed. Throws INVALID_REQUEST naming what is wrong.
 */
export async function readSessionRecording(value: unknown): Promise<SessionRecording> {
  const valid = validateSessionRecording(value);
  if (!valid.ok) throw invalidRequest(valid);
  const recording = valid.value;
  for (const plugin of recording.plugins) {
    if ((await sha256Hex(plugin.code)) !== plugin.codeSha256) {
      throw new CorralError(
        'INVALID_REQUEST',
        `Plugin '${plugin.pluginId}' in the recording does not match its codeSha256: the code was ` +
          `changed after recording. Record the session again.`,
        { pluginId: plugin.pluginId, path: '/plugins' },
      );
    }
  }
  const known = new Set(recording.plugins.map((p) => p.pluginId));
  recording.calls.forEach((call, index) => {
    if (!known.has(call.params.pluginId)) {
      throw new CorralError(
        'INVALID_REQUEST',
        `Call ${index} names plugin '${call.params.pluginId}', which the recording does not hold.`,
        { path: `/calls/${index}/params/pluginId` },
      );
    }
  });
  return recording;
}

/**
 * Replays a recording against a host: loads every plugin, sends every call with its recorded
 * params, and compares what comes back with what was recorded.
 */
export async function replaySession(value: unknown, client: SandboxClient): Promise<ReplayReport> {
  const recording = await readSessionRecording(value);
  for (const plugin of recording.plugins) {
    const { codeSha256: _hash, ...params } = plugin;
    await client.loadPlugin(params);
  }
  const mismatches: ReplayMismatch[] = [];
  for (const [index, call] of recording.calls.entries()) {
    const { fields, replayError } = await replayOne(call, client);
    if (fields.length > 0) {
      mismatches.push({
        index,
        op: call.op,
        pluginId: call.params.pluginId,
        fields,
        ...(fields.includes('outcome') && call.error && { recordedError: call.error.code }),
        ...(fields.includes('outcome') && replayError && { replayError }),
      });
    }
  }
  return { calls: recording.calls.length, mismatches };
}

/** A recording holding only call `index` and its plugin: a file that reproduces that one call. */
export function extractCall(recording: SessionRecording, index: number): SessionRecording {
  const call = recording.calls[index];
  if (call === undefined) {
    throw new CorralError(
      'INVALID_REQUEST',
      `The recording has no call ${index} (it has ${recording.calls.length}).`,
      {
        index,
      },
    );
  }
  const plugins = recording.plugins.filter((p) => p.pluginId === call.params.pluginId);
  return structuredClone({ ...recording, plugins, calls: [call] });
}

async function replayOne(
  call: RecordedCall,
  client: SandboxClient,
): Promise<{ fields: ReplayMismatch['fields']; replayError?: string }> {
  let outcome: { ok: true; value: unknown } | { ok: false; code: string; message: string };
  try {
    outcome = {
      ok: true,
      value: call.op === 'render' ? await client.render(call.params) : await client.event(call.params),
    };
  } catch (error) {
    const failure = CorralError.fromUnknown(error);
    outcome = { ok: false, code: failure.code, message: failure.message };
  }
  if (!outcome.ok || call.error !== undefined) {
    if (!outcome.ok && call.error?.code === outcome.code) return { fields: [] };
    return {
      fields: ['outcome'],
      ...(!outcome.ok && { replayError: `${outcome.code}: ${outcome.message}` }),
    };
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (call.op === 'render') {
    return { fields: same((outcome.value as { tree: unknown }).tree, call.tree) ? [] : ['tree'] };
  }
  const result = outcome.value as {
    pluginState: unknown;
    dispatches: Parameters<typeof portableDispatch>[0][];
  };
  const fields: ReplayMismatch['fields'] = [];
  if (!same(result.pluginState, call.pluginState)) fields.push('pluginState');
  if (!same(result.dispatches.map(portableDispatch), (call.dispatches ?? []).map(portableDispatch))) {
    fields.push('dispatches');
  }
  return { fields };
}

function placementOf(diagnostics: readonly Diagnostic[]): { placement?: Placement } {
  const call = diagnostics.find((d) => d.kind === 'call');
  return call?.placement === undefined ? {} : { placement: call.placement };
}

function wire(error: unknown): RuntimeError {
  return CorralError.fromUnknown(error).toWire();
}
