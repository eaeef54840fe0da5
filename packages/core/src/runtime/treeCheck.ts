/**
 * @module treeCheck
 * The check every render output passes before anyone gets it as a tree: the contract's UINode
 * schema, within the plugin's node and depth limits. The runtime runs it on the tree it parsed;
 * a runtime serving core's worker wire leaves it to the host's end of the wire instead, which
 * parses the tree anyway (see `serveWorkerPort`), so a worker's render does not parse its
 * output a second time.
 */
import { CorralError, validateUINodeWithin, type UINode } from '@corral/contracts';

/** What a render output is checked against: the plugin's output limits, and its widget's name. */
export interface TreeCheck {
  widgetId: string;
  maxDepth: number;
  maxNodes: number;
}

/** The tree, checked; else OUTPUT_TOO_LARGE (past a limit) or INVALID_OUTPUT, with the path. */
export function checkRenderTree(tree: unknown, check: TreeCheck): UINode {
  const valid = validateUINodeWithin(tree, { maxDepth: check.maxDepth, maxNodes: check.maxNodes }, null);
  if (valid.ok) return valid.value;
  const tooBig = /deeper than|more than/.test(valid.message);
  const first = valid.issues[0]!;
  throw new CorralError(
    tooBig ? 'OUTPUT_TOO_LARGE' : 'INVALID_OUTPUT',
    `Widget '${check.widgetId}' rendered an invalid UI tree: ${valid.message}`,
    { path: first.path, issue: first.message },
  );
}

/** Whether a value received over the wire is a TreeCheck (the worker is trusted, not infallible). */
export function isTreeCheck(value: unknown): value is TreeCheck {
  const c = value as Partial<TreeCheck> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.widgetId === 'string' &&
    Number.isSafeInteger(c.maxDepth) &&
    Number.isSafeInteger(c.maxNodes)
  );
}
