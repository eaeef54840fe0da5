/**
 * @module bounds
 * Bounds JSON Schema cannot express — depth, node count, byte size, string length — checked
 * by loops with explicit stacks, never by recursion: a hostile 100,000-deep value must be
 * rejected quickly without touching the host's call stack. Every validator runs these first,
 * so the schema validator (which does recurse) only ever sees shallow input.
 */

/** Limits for an arbitrary JSON value. */
export interface JsonBounds {
  /** Deepest nesting of arrays/objects (a scalar is depth 0, `[]` depth 1). */
  maxDepth: number;
  /** Most values (scalars, arrays and objects) in total. */
  maxValues: number;
  /** Longest string (in UTF-16 code units), keys included. */
  maxStringLength: number;
}

/** Bounds applied to every inbound message before schema validation. */
export const DEFAULT_JSON_BOUNDS: Readonly<JsonBounds> = {
  maxDepth: 256,
  maxValues: 2_000_000,
  maxStringLength: 64 * 1024 * 1024,
};

/** The one key no JSON value may hold (as a value, "__proto__" is plain data). */
export const FORBIDDEN_KEY = '__proto__';

/** What a validator says of a `__proto__` key. */
export const FORBIDDEN_KEY_MESSAGE =
  '"__proto__" is not allowed as a key (code that copies the object would set its prototype); rename the key';

/** Why a value broke its bounds. */
export interface BoundsIssue {
  /** JSON pointer of the value that broke the bound. */
  path: string;
  /** Which bound, or `not-json` for a value JSON cannot carry. */
  bound: 'depth' | 'values' | 'string-length' | 'not-json' | 'bytes';
  /** Human-readable explanation. */
  message: string;
}

/**
 * Walk a value iteratively and report the first bound it breaks, or null. Also rejects what
 * JSON cannot carry: functions, symbols, bigints, undefined inside arrays, non-finite numbers,
 * and objects that are not plain (a cycle shows up as a depth overflow).
 */
export function checkJsonBounds(
  value: unknown,
  bounds: Readonly<JsonBounds> = DEFAULT_JSON_BOUNDS,
): BoundsIssue | null {
  return new BoundsWalk(value, bounds).run();
}

/**
 * One walk of `checkJsonBounds`. Parallel stacks; a value's path is rebuilt from parent links
 * only when it fails, so the common (valid) case allocates no strings.
 */
class BoundsWalk {
  private readonly values: unknown[];
  private readonly depths: number[] = [0];
  private readonly parents: number[] = [-1];
  private readonly keys: (string | number)[] = [''];
  private readonly visited: { parent: number; key: string | number }[] = [];

  constructor(
    value: unknown,
    private readonly bounds: Readonly<JsonBounds>,
  ) {
    this.values = [value];
  }

  run(): BoundsIssue | null {
    const { bounds } = this;
    let count = 0;
    while (this.values.length > 0) {
      const v = this.values.pop();
      const depth = this.depths.pop()!;
      const parent = this.parents.pop()!;
      const key = this.keys.pop()!;
      if (++count > bounds.maxValues)
        return this.issue(parent, key, 'values', `more than ${bounds.maxValues} values`);
      const issue =
        typeof v === 'object' && v !== null
          ? this.object(v, depth, parent, key)
          : this.scalar(v, parent, key);
      if (issue) return issue;
    }
    return null;
  }

  private scalar(v: unknown, parent: number, key: string | number): BoundsIssue | null {
    switch (typeof v) {
      case 'string':
        if (v.length <= this.bounds.maxStringLength) return null;
        return this.issue(parent, key, 'string-length', `string longer than ${this.bounds.maxStringLength}`);
      case 'boolean':
        return null;
      case 'number':
        return Number.isFinite(v) ? null : this.issue(parent, key, 'not-json', 'number is not finite');
      case 'object': // null
        return null;
      default:
        return this.issue(parent, key, 'not-json', `${typeof v} is not JSON`);
    }
  }

  /** An object or array: its depth, then its members pushed for the walk. */
  private object(v: object, depth: number, parent: number, key: string | number): BoundsIssue | null {
    if (depth + 1 > this.bounds.maxDepth) {
      return this.issue(parent, key, 'depth', `nested deeper than ${this.bounds.maxDepth}`);
    }
    const self = this.visited.length;
    this.visited.push({ parent, key });
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        if (v[i] === undefined) return this.issue(self, i, 'not-json', 'undefined in array');
        this.push(v[i], depth + 1, self, i);
      }
      return null;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      return this.issue(parent, key, 'not-json', 'not a plain object');
    }
    const own = Object.keys(v);
    for (let i = own.length - 1; i >= 0; i--) {
      const k = own[i]!;
      if (k === FORBIDDEN_KEY) {
        // JSON.parse makes it an own key (whatever its escapes), but code that copies the
        // object by assignment would set a prototype: refused as a key, never as a value.
        return this.issue(self, k, 'not-json', FORBIDDEN_KEY_MESSAGE);
      }
      if (k.length > this.bounds.maxStringLength) {
        return this.issue(parent, key, 'string-length', `key longer than ${this.bounds.maxStringLength}`);
      }
      const child = (v as Record<string, unknown>)[k];
      // JSON.stringify drops undefined-valued keys; accept them as absent.
      if (child !== undefined) this.push(child, depth + 1, self, k);
    }
    return null;
  }

  private push(value: unknown, depth: number, parent: number, key: string | number): void {
    this.values.push(value);
    this.depths.push(depth);
    this.parents.push(parent);
    this.keys.push(key);
  }

  private issue(
    parent: number,
    key: string | number,
    bound: BoundsIssue['bound'],
    message: string,
  ): BoundsIssue {
    return { path: this.pathOf(parent, key), bound, message };
  }

  private pathOf(parent: number, key: string | number): string {
    const parts: string[] = [];
    if (parent >= 0 || key !== '') parts.push(typeof key === 'number' ? String(key) : escapePointer(key));
    for (let p = parent; p >= 0; p = this.visited[p]!.parent) {
      const k = this.visited[p]!.key;
      if (p === 0 && k === '') break;
      parts.push(typeof k === 'number' ? String(k) : escapePointer(k));
    }
    return parts.length ? '/' + parts.reverse().join('/') : '';
  }
}

/** Shape of serialized JSON text, measured without parsing it. */
export interface JsonTextShape {
  /** UTF-8 byte length (stops counting once past `maxBytes`). */
  bytes: number;
  /** Deepest bracket nesting seen (stops once past `maxDepth`). */
  depth: number;
}

/**
 * Measure JSON text in one pass — byte size and bracket depth — so a host can refuse an
 * oversized or overly deep output before `JSON.parse` allocates anything. Strings are skipped
 * with their escapes, so brackets inside them do not count. Returns early once a bound is passed.
 */
export function measureJsonText(text: string, maxBytes: number, maxDepth: number): JsonTextShape {
  // Fast path: UTF-8 takes at most 3 bytes per UTF-16 unit.
  let bytes = 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
    if (bytes > maxBytes) return { bytes, depth: deepest };
    if (inString) {
      if (c === 0x5c /* \ */) {
        i++;
        bytes++;
      } else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return { bytes, depth: deepest };
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return { bytes, depth: deepest };
}

/** UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  return measureJsonText(text, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY).bytes;
}

/** Limits for a UI tree. */
export interface TreeBounds {
  /** Deepest nesting of nodes (the root is depth 1). */
  maxDepth: number;
  /** Most nodes in the tree. */
  maxNodes: number;
}

/**
 * Count the nodes and depth of a UI tree iteratively, following only `children` arrays.
 * Returns the first bound broken, or null. Run after `checkJsonBounds`, before schema checks.
 */
export function checkTreeBounds(root: unknown, bounds: Readonly<TreeBounds>): BoundsIssue | null {
  const stack: { node: unknown; depth: number; path: string }[] = [{ node: root, depth: 1, path: '' }];
  let nodes = 0;
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (++nodes > bounds.maxNodes)
      return { path, bound: 'values', message: `more than ${bounds.maxNodes} nodes` };
    if (depth > bounds.maxDepth)
      return { path, bound: 'depth', message: `tree deeper than ${bounds.maxDepth}` };
    const children =
      typeof node === 'object' && node !== null ? (node as { children?: unknown }).children : undefined;
    if (Array.isArray(children)) {
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push({ node: children[i], depth: depth + 1, path: `${path}/children/${i}` });
      }
    }
  }
  return null;
}

/** Escape a key for use in a JSON pointer (RFC 6901). */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
