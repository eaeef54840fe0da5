/**
 * @module limits
 * Resource limits enforced on every plugin, and the named profiles that bundle them.
 */

/** Named bundles of limits. */
export type LimitProfile = 'strict' | 'default' | 'generous';

/** Every limit the runtime enforces on one plugin. Sizes are bytes, times milliseconds. */
export interface RuntimeLimits {
  /**
   * Heap the plugin's QuickJS runtime may hold.
   * @minimum 1048576
   */
  memoryBytes: number;
  /**
   * Native stack the plugin's QuickJS runtime may use.
   * @minimum 16384
   */
  stackBytes: number;
  /**
   * Deadline for evaluating the plugin's code at load.
   * @minimum 1
   */
  loadTimeoutMs: number;
  /**
   * Deadline for one render.
   * @minimum 1
   */
  renderTimeoutMs: number;
  /**
   * Deadline for one event: the handler and every reducer it triggers.
   * @minimum 1
   */
  eventTimeoutMs: number;
  /**
   * Promise jobs that may run after a call before it is stopped.
   * @minimum 0
   */
  maxPendingJobs: number;
  /**
   * Largest accepted plugin source, UTF-8.
   * @minimum 1
   */
  maxCodeBytes: number;
  /**
   * Largest plugin or global state snapshot, serialized.
   * @minimum 2
   */
  maxStateBytes: number;
  /**
   * Largest render output, serialized.
   * @minimum 2
   */
  maxOutputBytes: number;
  /**
   * Most nodes in one rendered tree.
   * @minimum 1
   */
  maxOutputNodes: number;
  /**
   * Deepest nesting of a rendered tree (the root is depth 1).
   * @minimum 1
   */
  maxOutputDepth: number;
  /**
   * Most dispatches one event may produce.
   * @minimum 0
   */
  maxDispatchesPerEvent: number;
  /**
   * Largest payload of one dispatch, serialized.
   * @minimum 2
   */
  maxPayloadBytes: number;
  /**
   * Most `log()` lines kept per call; further lines are counted and dropped.
   * @minimum 0
   */
  maxLogsPerCall: number;
  /**
   * Longest `log()` line kept; longer lines are truncated.
   * @minimum 16
   */
  maxLogBytes: number;
}

/** Some of the limits, overriding a profile's values. */
export interface RuntimeLimitsOverride {
  /** @minimum 1048576 */
  memoryBytes?: number;
  /** @minimum 16384 */
  stackBytes?: number;
  /** @minimum 1 */
  loadTimeoutMs?: number;
  /** @minimum 1 */
  renderTimeoutMs?: number;
  /** @minimum 1 */
  eventTimeoutMs?: number;
  /** @minimum 0 */
  maxPendingJobs?: number;
  /** @minimum 1 */
  maxCodeBytes?: number;
  /** @minimum 2 */
  maxStateBytes?: number;
  /** @minimum 2 */
  maxOutputBytes?: number;
  /** @minimum 1 */
  maxOutputNodes?: number;
  /** @minimum 1 */
  maxOutputDepth?: number;
  /** @minimum 0 */
  maxDispatchesPerEvent?: number;
  /** @minimum 2 */
  maxPayloadBytes?: number;
  /** @minimum 0 */
  maxLogsPerCall?: number;
  /** @minimum 16 */
  maxLogBytes?: number;
}
