/**
 * @module validate
 * Typed validators over the generated standalone ajv code. Each one first walks the value with
 * the iterative bounds checks (so the recursive schema code only sees shallow input), then runs
 * the schema, and returns a result instead of throwing: a validator never throws on any input.
 */
import * as generated from './generated/validators.js';
import {
  DEFAULT_JSON_BOUNDS,
  checkJsonBounds,
  checkTreeBounds,
  type JsonBounds,
  type TreeBounds,
} from './bounds.js';
import type {
  Diagnostic,
  Dispatch,
  DispatchIntent,
  DisposePluginParams,
  EventBinding,
  EventParams,
  EventResult,
  HealthResult,
  JSONValue,
  LoadPluginParams,
  PluginEvent,
  PluginMeta,
  RenderParams,
  RenderResult,
  RpcNotification,
  RpcRequest,
  RpcResponse,
  RuntimeError,
  RuntimeLimits,
  RuntimeLimitsOverride,
  UINode,
} from './types/index.js';

/** One reason a value is invalid. */
export interface ValidationIssue {
  /** JSON pointer of the offending value (`''` for the root). */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/** Outcome of a validation. */
export type Validation<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** The issues found (the first one is the most useful). */
      issues: ValidationIssue[];
      /** `path: message` of the first issue, e.g. `/children/3/label: must be string`. */
      message: string;
    };

/** A validator: never throws, narrows on success. */
export type Validator<T> = (value: unknown) => Validation<T>;

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
type AjvFunction = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

function describe(error: AjvError): ValidationIssue {
  let message = error.message ?? error.keyword;
  if (error.keyword === 'additionalProperties') message += ` ('${String(error.params.additionalProperty)}')`;
  if (error.keyword === 'enum' || error.keyword === 'const') {
    const allowed = error.params.allowedValues ?? error.params.allowedValue;
    message += `: ${JSON.stringify(allowed)}`;
  }
  return { path: error.instancePath, message };
}

function fail<T>(issues: ValidationIssue[]): Validation<T> {
  const first = issues[0]!;
  return { ok: false, issues, message: `${first.path || '/'}: ${first.message}` };
}

/** Build a validator from generated schema code plus a bounds pre-check. */
function makeValidator<T>(
  schemaCheck: unknown,
  preCheck: (value: unknown) => ValidationIssue | null = (value) => checkJsonBounds(value),
): Validator<T> {
  const check = schemaCheck as AjvFunction;
  return (value: unknown): Validation<T> => {
    const issue = preCheck(value);
    if (issue) return fail([{ path: issue.path, message: issue.message }]);
    try {
      if (check(value)) return { ok: true, value: value as T };
      return fail((check.errors ?? []).map(describe));
    } catch (error) {
      // Only reachable through hostile getters or proxies; still an answer, not a throw.
      return fail([{ path: '', message: `could not be validated: ${String(error)}` }]);
    }
  };
}

/** Default bounds for UI trees validated outside a plugin call. */
export const DEFAULT_TREE_BOUNDS: Readonly<TreeBounds> = { maxDepth: 128, maxNodes: 50_000 };

/**
 * Validate a UI tree under explicit bounds (a plugin's output limits). Pass `json: null` when
 * the value was just produced by `JSON.parse` of text already sized with `measureJsonText`:
 * it is plain JSON by construction, so only the tree bounds and the schema remain to check.
 */
export function validateUINodeWithin(
  value: unknown,
  tree: Readonly<TreeBounds>,
  json: Readonly<JsonBounds> | null = DEFAULT_JSON_BOUNDS,
): Validation<UINode> {
  return makeValidator<UINode>(generated.validateUINode, (v) => {
    const issue = checkTreeBounds(v, tree);
    // A tree of depth d nests JSON about 2d deep (node object + children array).
    if (issue || json === null) return issue;
    return checkJsonBounds(v, { ...json, maxDepth: Math.min(json.maxDepth, tree.maxDepth * 2 + 8) });
  })(value);
}

export const validateJSONValue: Validator<JSONValue> = makeValidator(generated.validateJSONValue);
export const validateUINode: Validator<UINode> = (value) => validateUINodeWithin(value, DEFAULT_TREE_BOUNDS);
export const validateEventBinding: Validator<EventBinding> = makeValidator(generated.validateEventBinding);
export const validatePluginEvent: Validator<PluginEvent> = makeValidator(generated.validatePluginEvent);
export const validateDispatchIntent: Validator<DispatchIntent> = makeValidator(
  generated.validateDispatchIntent,
);
export const validateDispatch: Validator<Dispatch> = makeValidator(generated.validateDispatch);
export const validatePluginMeta: Validator<PluginMeta> = makeValidator(generated.validatePluginMeta);
export const validateRuntimeLimits: Validator<RuntimeLimits> = makeValidator(generated.validateRuntimeLimits);
export const validateRuntimeLimitsOverride: Validator<RuntimeLimitsOverride> = makeValidator(
  generated.validateRuntimeLimitsOverride,
);
export const validateRuntimeError: Validator<RuntimeError> = makeValidator(generated.validateRuntimeError);
export const validateLoadPluginParams: Validator<LoadPluginParams> = makeValidator(
  generated.validateLoadPluginParams,
);
export const validateRenderParams: Validator<RenderParams> = makeValidator(generated.validateRenderParams);
export const validateEventParams: Validator<EventParams> = makeValidator(generated.validateEventParams);
export const validateDisposePluginParams: Validator<DisposePluginParams> = makeValidator(
  generated.validateDisposePluginParams,
);
export const validateRpcRequest: Validator<RpcRequest> = makeValidator(generated.validateRpcRequest);
export const validateRpcResponse: Validator<RpcResponse> = makeValidator(generated.validateRpcResponse);
export const validateRpcNotification: Validator<RpcNotification> = makeValidator(
  generated.validateRpcNotification,
);
export const validateRenderResult: Validator<RenderResult> = makeValidator(generated.validateRenderResult);
export const validateEventResult: Validator<EventResult> = makeValidator(generated.validateEventResult);
export const validateHealthResult: Validator<HealthResult> = makeValidator(generated.validateHealthResult);
export const validateDiagnostic: Validator<Diagnostic> = makeValidator(generated.validateDiagnostic);
