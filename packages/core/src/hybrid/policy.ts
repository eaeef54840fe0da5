/**
 * @module policy
 * Where a hybrid router runs a plugin's call. A plugin's placement is `local`, `server` or
 * `auto`; the policy turns that, the plugin's declared needs, the context and each side's health
 * into a decision with a reason a person can read. The default is the secure side: a plugin that
 * needs what only the server has (secrets, API keys, agent memory) never runs locally.
 */
import { CorralError, type Placement } from '@corral/contracts';

/** Where a plugin should run: a side, or `auto` for the policy to decide per call. */
export type PlacementSetting = Placement | 'auto';

/**
 * `design`: someone is writing the plugin and wants instant feedback, so `auto` runs locally.
 * `production`: the server's result is authoritative, so `auto` runs there (with a local
 * preview when the router is asked for one).
 */
export type RoutingContext = 'design' | 'production';

/** Needs only the server can meet. A plugin declaring one never runs locally. */
export const SERVER_ONLY_NEEDS: readonly string[] = ['secrets', 'api-keys', 'agent-memory', 'network'];

/** What a policy decides from. */
export interface PlacementInput {
  pluginId: string;
  /** The plugin's placement as loaded (or set later with `setPlacement`). */
  setting: PlacementSetting;
  /** What the plugin declared it needs at load (`requires`). */
  requires: readonly string[];
  context: RoutingContext;
  /** Whether each side takes calls now (a side that failed repeatedly is down for a while). */
  available: Record<Placement, boolean>;
}

/** Where one call runs, and why. */
export interface PlacementDecision {
  placement: Placement;
  /** In words, shown in the call's diagnostic (`placementReason`) and in the playground. */
  reason: string;
  /** Where the call may go when `placement` turns out unavailable; null: nowhere. */
  fallback: Placement | null;
  /**
   * Also run the call on this side for instant feedback (authoritative replay): the caller gets
   * its result early through `onPreview`, and `placement`'s result is the one returned.
   */
  preview?: Placement;
}

/**
 * Decides one call. Throws a CorralError to refuse it (the router passes it on). Pure: the same
 * input gives the same decision.
 */
export type PlacementPolicy = (input: PlacementInput) => PlacementDecision;

/** The needs in `requires` that only the server can meet. */
export function serverOnlyNeeds(requires: readonly string[]): string[] {
  return requires.filter((need) => SERVER_ONLY_NEEDS.includes(need));
}

/**
 * The default policy:
 *
 * | placement | design time                 | production                        |
 * | --------- | --------------------------- | --------------------------------- |
 * | `local`   | local, no fallback          | local, no fallback                |
 * | `server`  | server, no fallback         | server, no fallback               |
 * | `auto`    | local, falls back to server | server (local preview), falls back to local |
 *
 * A plugin with a server-only need runs on the server whatever the context, never falls back to
 * local, and cannot be placed `local` (INVALID_REQUEST).
 */
export const defaultPlacementPolicy: PlacementPolicy = (input) => {
  const needs = serverOnlyNeeds(input.requires);
  if (needs.length > 0) {
    if (input.setting === 'local') {
      throw new CorralError(
        'INVALID_REQUEST',
        `Plugin '${input.pluginId}' requires ${needs.join(', ')}, which only the server has; ` +
          `place it on 'server' or 'auto', never 'local'.`,
        { pluginId: input.pluginId, requires: needs, placement: 'local' },
      );
    }
    return { placement: 'server', reason: `requires ${needs.join(', ')}: server only`, fallback: null };
  }
  if (input.setting !== 'auto') {
    return { placement: input.setting, reason: `placed on ${input.setting}`, fallback: null };
  }
  const preferred: PlacementDecision =
    input.context === 'design'
      ? { placement: 'local', reason: 'auto, design time: local for instant feedback', fallback: 'server' }
      : {
          placement: 'server',
          reason: 'auto, production: the server is authoritative',
          fallback: 'local',
          preview: 'local',
        };
  const other = preferred.fallback!;
  if (!input.available[preferred.placement] && input.available[other]) {
    return {
      placement: other,
      reason: `auto: ${preferred.placement} unavailable, running on ${other}`,
      fallback: preferred.placement,
    };
  }
  return preferred;
};
