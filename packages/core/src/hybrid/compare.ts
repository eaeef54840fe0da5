/**
 * @module compare
 * Whether two hosts gave the same answer to the same call. Calls are deterministic (host-given
 * `now`, seeded `Math.random`), so trees, states and dispatches must match exactly, as JSON
 * text. Only what a host writes for itself is left out: each dispatch's `dispatchId` (a fresh
 * UUID per host) and `source` (which kind of host ran it).
 */
import type { Dispatch, EventResult, RenderResult } from '@corral/contracts';

/** A dispatch without the stamp fields that name the host that ran it. */
export function portableDispatch(dispatch: Dispatch): unknown {
  const { dispatchId: _id, source: _source, ...meta } = dispatch.meta;
  return { ...dispatch, meta };
}

/** What differs between two renders' results (empty when they agree). */
export function renderDifferences(a: RenderResult, b: RenderResult): Array<'tree'> {
  return JSON.stringify(a.tree) === JSON.stringify(b.tree) ? [] : ['tree'];
}

/** What differs between two events' results (empty when they agree). */
export function eventDifferences(a: EventResult, b: EventResult): Array<'pluginState' | 'dispatches'> {
  const fields: Array<'pluginState' | 'dispatches'> = [];
  if (JSON.stringify(a.pluginState) !== JSON.stringify(b.pluginState)) fields.push('pluginState');
  const dispatches = (r: EventResult) => JSON.stringify(r.dispatches.map(portableDispatch));
  if (dispatches(a) !== dispatches(b)) fields.push('dispatches');
  return fields;
}
