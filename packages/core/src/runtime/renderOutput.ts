/**
 * @module renderOutput
 * A render's result from the VM's output text: sized and screened, then parsed and checked
 * against the widget's tree limits — here, or (for a receiver that parses the text anyway) by
 * the receiving end of the wire, with the check it owes carried on the result.
 */
import type { Diagnostic, RenderResult, RuntimeLimits } from '@corral/contracts';
import { deferTreeCheck, rememberResultJson } from './resultJson.js';
import { parseOutput, screenOutput } from './screening.js';
import { checkRenderTree } from './treeCheck.js';

/** What a render's output is checked against. */
export interface RenderOutputOptions {
  widgetId: string;
  limits: RuntimeLimits;
  /** The call's diagnostic and log lines. */
  diagnostics: Diagnostic[];
  /** Leave the tree unparsed and unchecked for the receiver (see `CallOptions`). */
  deferTreeCheck: boolean;
}

export function renderResult(output: string, options: RenderOutputOptions): RenderResult {
  const { limits, diagnostics } = options;
  const treeCheck = {
    widgetId: options.widgetId,
    maxDepth: limits.maxOutputDepth,
    maxNodes: limits.maxOutputNodes,
  };
  const text = (r: RenderResult): string =>
    `{"tree":${output},"diagnostics":${JSON.stringify(r.diagnostics)}}`;
  if (options.deferTreeCheck) {
    // Sized and screened here; parsed and checked by the receiver. Read here, the tree is
    // parsed and checked on the spot.
    screenOutput(output, limits.maxOutputBytes, 'render output');
    const result = { diagnostics } as RenderResult;
    Object.defineProperty(result, 'tree', {
      get: () => checkRenderTree(JSON.parse(output), treeCheck),
      enumerable: true,
    });
    return deferTreeCheck(rememberResultJson(result, text), treeCheck);
  }
  const tree = checkRenderTree(parseOutput(output, limits.maxOutputBytes, 'render output'), treeCheck);
  return rememberResultJson({ tree, diagnostics }, text);
}
