/**
 * @module recording
 * A recorded session: the plugins' code, then every call with the exact params it ran with
 * (states, `now`, `seed`) and what came back. Calls are deterministic, so replaying the params
 * against any host must give back the same trees, states and dispatches.
 */
import type { JSONValue } from './json.js';
import type { LimitProfile, RuntimeLimitsOverride } from './limits.js';
import type { Dispatch } from './plugin.js';
import type { RuntimeError } from './error.js';
import type { EventParams, Placement, RenderParams } from './rpc.js';
import type { UINode } from './ui.js';

/** A plugin as it was loaded when the session was recorded. */
export interface RecordedPlugin {
  /**
   * The id it was loaded under.
   * @minLength 1
   * @maxLength 200
   */
  pluginId: string;
  /**
   * SHA-256 of `code` (UTF-8), lower-case hex: a replay refuses code that does not match.
   * @pattern ^[0-9a-f]{64}$
   */
  codeSha256: string;
  /** The plugin's source. */
  code: string;
  /** Named limit profile it was loaded with. */
  profile?: LimitProfile;
  /** Limits it was loaded with. */
  limits?: RuntimeLimitsOverride;
}

/** A render and what it returned. */
export interface RecordedRender {
  /** Discriminator. */
  op: 'render';
  /** The params exactly as sent (`now` and `seed` always set). */
  params: RenderParams;
  /** The tree, when the call succeeded. */
  tree?: UINode;
  /** The error, when it failed. */
  error?: RuntimeError;
  /** Where a hybrid router ran it. */
  placement?: Placement;
}

/** An event and what it returned. */
export interface RecordedEvent {
  /** Discriminator. */
  op: 'event';
  /** The params exactly as sent (`now` and `seed` always set). */
  params: EventParams;
  /** The plugin's state after the event, when it succeeded. */
  pluginState?: JSONValue;
  /** The stamped dispatches, when it succeeded. */
  dispatches?: Dispatch[];
  /** The error, when it failed. */
  error?: RuntimeError;
  /** Where a hybrid router ran it. */
  placement?: Placement;
}

/** One recorded call. */
export type RecordedCall = RecordedRender | RecordedEvent;

/** A session as a versioned document (`application/json`). */
export interface SessionRecording {
  /** Format version; a reader refuses versions it does not know. */
  version: 1;
  /** ISO 8601 time the recording started (informational). */
  recordedAt?: string;
  /** Every plugin the calls name, with its code. */
  plugins: RecordedPlugin[];
  /** The calls in the order they were made. */
  calls: RecordedCall[];
}
