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
  SessionRecording,
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
  RpcOp,
  RpcRequest,
  RpcResponse,
  RuntimeError,
  RuntimeLimits,
  RuntimeLimitsOverride,
  UINode,
  UINodeKind,
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
      /** `path: message` of the first issue, e.g. `/children/3/label: must be string, not number (3)`. */
      message: string;
    };

/** A validator: never throws, narrows on success. */
export type Validator<T> = (value: unknown) => Validation<T>;

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** The offending value and the schema object holding the failed keyword (ajv `verbose`). */
  data?: unknown;
  parentSchema?: { properties?: Record<string, unknown>; required?: string[] };
}
type AjvFunction = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

/** What each discriminated union is called in a message, and every tag it accepts. */
const UI_NODE_KINDS = {
  panel: 0,
  row: 0,
  column: 0,
  text: 0,
  heading: 0,
  button: 0,
  input: 0,
  checkbox: 0,
  select: 0,
  list: 0,
  table: 0,
  badge: 0,
  divider: 0,
} satisfies Record<UINodeKind, 0>;
const RPC_OPS = { loadPlugin: 0, render: 0, event: 0, disposePlugin: 0, health: 0 } satisfies Record<
  RpcOp,
  0
>;
const NOTIFICATIONS = { log: 0, diagnostic: 0 } satisfies Record<RpcNotification['notification'], 0>;
const TAGS: Record<string, { noun: string; values: string[] }> = {
  kind: { noun: 'a UINode kind', values: Object.keys(UI_NODE_KINDS) },
  op: { noun: 'an RPC op', values: Object.keys(RPC_OPS) },
  notification: { noun: 'a notification type', values: Object.keys(NOTIFICATIONS) },
};

/** A value as a message quotes it: short, and never a whole tree. */
function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** `a text node` when the object is a UI node, else `this object`. */
function owner(value: unknown): string {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && kind in UI_NODE_KINDS ? `a ${kind} node` : 'this object';
}

function lastSegment(path: string): string {
  const segment = path.slice(path.lastIndexOf('/') + 1);
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** One ajv error as a sentence naming the offending value and what is allowed instead. */
function describe(error: AjvError): ValidationIssue {
  const { params, data } = error;
  const path = error.instancePath;
  const field = lastSegment(path);
  let message: string;
  switch (error.keyword) {
    case 'discriminator': {
      const tag = String(params.tag);
      const known = TAGS[tag];
      const expected = known ? `; expected one of ${known.values.join(', ')}` : '';
      const value = (data as Record<string, unknown> | null)?.[tag];
      message =
        params.error === 'mapping'
          ? `${tag} ${quote(value)} is not ${known?.noun ?? `a known ${tag}`}${expected}`
          : `${tag} must be a string, not ${typeOf(value)}${expected}`;
      break;
    }
    case 'additionalProperties': {
      const allowed = Object.keys(error.parentSchema?.properties ?? {});
      message =
        `property '${String(params.additionalProperty)}' is not allowed on ${owner(data)}` +
        (allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '');
      break;
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const required = error.parentSchema?.required ?? [];
      const tag = TAGS[missing];
      message =
        `${owner(data)} needs property '${missing}'` +
        (tag ? `, ${tag.noun}: one of ${tag.values.join(', ')}` : '') +
        (!tag && required.length > 1 ? ` (required: ${required.join(', ')})` : '');
      break;
    }
    case 'enum':
    case 'const': {
      const allowed = (params.allowedValues ?? [params.allowedValue]) as unknown[];
      message = `${field || 'value'} ${quote(data)} is not allowed; expected ${
        allowed.length === 1 ? quote(allowed[0]) : `one of ${allowed.map(quote).join(', ')}`
      }`;
      break;
    }
    case 'type':
      message = `must be ${String(params.type).split(',').join(' or ')}, not ${typeOf(data)}${
        data === null || typeof data === 'object' ? '' : ` (${quote(data)})`
      }`;
      break;
    default:
      message = `${error.message ?? error.keyword}${
        data === null || typeof data === 'object' ? '' : ` (got ${quote(data)})`
      }`;
  }
  return { path, message };
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

/** A lone surrogate: a UTF-16 unit no character is made of (`u` mode matches pairs whole). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The first field of `fields` holding a string that is not well-formed Unicode, as an issue.
 * Such a string has no UTF-8 form: hashing or encoding it turns every lone surrogate into
 * U+FFFD, so `"r\ud800"` and `"r\udc00"` would name one plugin (or widget, or handler).
 */
export function illFormedField(value: unknown, fields: readonly string[], at = ''): ValidationIssue | null {
  if (typeof value !== 'object' || value === null) return null;
  for (const field of fields) {
    const text = (value as Record<string, unknown>)[field];
    if (typeof text !== 'string') continue;
    const found = LONE_SURROGATE.exec(text);
    if (!found) continue;
    const unit = found[0].charCodeAt(0).toString(16).toUpperCase();
    return {
      path: `${at}/${field}`,
      message:
        `${field} is not well-formed Unicode: it holds a lone surrogate (U+${unit} at index ` +
        `${found.index}), which would alias other ids; use whole characters only`,
    };
  }
  return null;
}

/** The string fields of a request that become keys (of plugins, widgets, handlers). */
const KEY_FIELDS = ['pluginId', 'widgetId', 'handler'] as const;

/** The bounds pre-check, then well-formed key fields (at `at` inside the value). */
function requestCheck(at: '' | '/params'): (value: unknown) => ValidationIssue | null {
  return (value) => {
    const issue = checkJsonBounds(value);
    if (issue) return issue;
    const params = at === '' ? value : (value as { params?: unknown } | null)?.params;
    return illFormedField(params, KEY_FIELDS, at);
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
  requestCheck(''),
);
export const validateRenderParams: Validator<RenderParams> = makeValidator(
  generated.validateRenderParams,
  requestCheck(''),
);
export const validateEventParams: Validator<EventParams> = makeValidator(
  generated.validateEventParams,
  requestCheck(''),
);
export const validateDisposePluginParams: Validator<DisposePluginParams> = makeValidator(
  generated.validateDisposePluginParams,
  requestCheck(''),
);
export const validateRpcRequest: Validator<RpcRequest> = makeValidator(
  generated.validateRpcRequest,
  requestCheck('/params'),
);
export const validateRpcResponse: Validator<RpcResponse> = makeValidator(generated.validateRpcResponse);
export const validateRpcNotification: Validator<RpcNotification> = makeValidator(
  generated.validateRpcNotification,
);
export const validateRenderResult: Validator<RenderResult> = makeValidator(generated.validateRenderResult);
export const validateEventResult: Validator<EventResult> = makeValidator(generated.validateEventResult);
export const validateHealthResult: Validator<HealthResult> = makeValidator(generated.validateHealthResult);
export const validateDiagnostic: Validator<Diagnostic> = makeValidator(generated.validateDiagnostic);
export const validateSessionRecording: Validator<SessionRecording> = makeValidator(
  generated.validateSessionRecording,
);
