/**
 * @module profiles
 * The named limit profiles and how a request's overrides are folded into them.
 */
import type { LimitProfile, RuntimeLimits, RuntimeLimitsOverride } from './types/limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The three profiles. `default` is what a load gets without asking. Stack stays at or under
 * 512 KiB: a QuickJS stack bigger than the host thread's headroom lets the host's own stack
 * overflow first, which aborts the shared WebAssembly module.
 */
export const LIMIT_PROFILES: Readonly<Record<LimitProfile, Readonly<RuntimeLimits>>> = {
  strict: {
    memoryBytes: 16 * MiB,
    stackBytes: 256 * KiB,
    loadTimeoutMs: 100,
    renderTimeoutMs: 30,
    eventTimeoutMs: 30,
    maxPendingJobs: 1_000,
    maxCodeBytes: 256 * KiB,
    maxStateBytes: 256 * KiB,
    maxOutputBytes: 256 * KiB,
    maxOutputNodes: 2_000,
    maxOutputDepth: 32,
    maxDispatchesPerEvent: 16,
    maxPayloadBytes: 16 * KiB,
    maxLogsPerCall: 20,
    maxLogBytes: 1 * KiB,
  },
  default: {
    memoryBytes: 24 * MiB,
    stackBytes: 384 * KiB,
    loadTimeoutMs: 250,
    renderTimeoutMs: 50,
    eventTimeoutMs: 50,
    maxPendingJobs: 10_000,
    maxCodeBytes: 1 * MiB,
    maxStateBytes: 1 * MiB,
    maxOutputBytes: 1 * MiB,
    maxOutputNodes: 10_000,
    maxOutputDepth: 64,
    maxDispatchesPerEvent: 64,
    maxPayloadBytes: 64 * KiB,
    maxLogsPerCall: 100,
    maxLogBytes: 4 * KiB,
  },
  generous: {
    memoryBytes: 32 * MiB,
    stackBytes: 512 * KiB,
    loadTimeoutMs: 250,
    renderTimeoutMs: 100,
    eventTimeoutMs: 100,
    maxPendingJobs: 100_000,
    maxCodeBytes: 4 * MiB,
    maxStateBytes: 4 * MiB,
    maxOutputBytes: 4 * MiB,
    maxOutputNodes: 50_000,
    maxOutputDepth: 128,
    maxDispatchesPerEvent: 256,
    maxPayloadBytes: 256 * KiB,
    maxLogsPerCall: 1_000,
    maxLogBytes: 16 * KiB,
  },
};

/**
 * The limits for a load: the profile's values, then the overrides, each clamped to `ceiling`
 * (a host's own upper bound, so a caller cannot ask for more than the host allows).
 */
export function resolveLimits(
  profile: LimitProfile = 'default',
  overrides: RuntimeLimitsOverride = {},
  ceiling: Readonly<RuntimeLimits> = LIMIT_PROFILES.generous,
): RuntimeLimits {
  const limits: RuntimeLimits = { ...LIMIT_PROFILES[profile] };
  for (const key of Object.keys(limits) as (keyof RuntimeLimits)[]) {
    const wanted = overrides[key];
    if (typeof wanted === 'number' && Number.isFinite(wanted)) limits[key] = wanted;
    limits[key] = Math.min(limits[key], ceiling[key]);
  }
  return limits;
}
