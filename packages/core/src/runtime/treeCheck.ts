/**
 * @module treeCheck
 * The check every render output passes before anyone gets it as a tree: the contract's UINode
 * schema, within the plugin's node and depth limits. The runtime runs it on the tree it parsed;
 * a runtime serving core's worker wire leaves it to the host's end of the wire instead, which
 * parses the tree anyway (see `serveWorkerPort`), so a worker's render does not parse its
 * output a second time.
 */
import { CorralError, FORBIDDEN_KEY_MESSAGE, validateUINodeWithin, type UINode } from '@corral/contracts';
import { outputIssue } from './screening.js';

/** What a render output is checked against: the plugin's output limits, and its widget's name. */
export interface TreeCheck {
  widgetId: string;
  maxDepth: number;
  maxNodes: number;
}

/** The tree, checked; else OUTPUT_TOO_LARGE (past a limit) or INVALID_OUTPUT, with the path. */
export function checkRenderTree(tree: unknown, check: TreeCheck): UINode {
  // The tree came from JSON.parse: its JSON depth (about two levels per tree level, node and
  // children array, as the VM's serializer allows) and its keys are checked here by the host,
  // whatever the VM did, before the schema's recursive validator sees it.
  const maxJsonDepth = check.maxDepth * 2 + 8;
  const found = outputIssue(tree, maxJsonDepth);
  if (found) {
    const issue =
      found.issue === 'depth' ? `nested deeper than ${maxJsonDepth} JSON levels` : FORBIDDEN_KEY_MESSAGE;
    throw new CorralError(
      found.issue === 'depth' ? 'OUTPUT_TOO_LARGE' : 'INVALID_OUTPUT',
      `Widget '${check.widgetId}' rendered an invalid UI tree: ${found.path}: ${issue}`,
      { path: found.path, issue },
    );
  }
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
