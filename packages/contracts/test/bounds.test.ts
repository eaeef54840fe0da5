import { describe, expect, it } from 'vitest';
import {
  LIMIT_PROFILES,
  checkJsonBounds,
  checkTreeBounds,
  measureJsonText,
  resolveLimits,
  utf8Length,
  validateEventParams,
  validateJSONValue,
  validateLoadPluginParams,
  validateRenderParams,
  validateRuntimeLimits,
  validateUINode,
  validateUINodeWithin,
} from '../src/index.js';

function deepTree(depth: number): unknown {
  let node: unknown = { kind: 'text', text: 'leaf' };
  for (let i = 0; i < depth; i++) node = { kind: 'column', children: [node] };
  return node;
}

function deepArray(depth: number): unknown {
  let a: unknown = [];
  for (let i = 0; i < depth; i++) a = [a];
  return a;
}

describe('bounds that schemas cannot express', () => {
  it('rejects a 100,000-deep UI tree without recursing (no stack overflow, no throw)', () => {
    const result = validateUINode(deepTree(100_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/deeper than 128/);
  });

  it('rejects a 100,000-deep array as a tree and as JSON', () => {
    expect(validateUINode(deepArray(100_000)).ok).toBe(false);
    expect(checkJsonBounds(deepArray(100_000))).toMatchObject({ bound: 'depth' });
  });

  it('rejects cycles as a depth or node overflow instead of looping', () => {
    const a: Record<string, unknown> = { kind: 'column', children: [] };
    (a.children as unknown[]).push(a);
    expect(validateUINode(a).ok).toBe(false);
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(checkJsonBounds(o)).toMatchObject({ bound: 'depth' });
  });

  it('counts nodes and depth of a tree against explicit bounds', () => {
    const wide = { kind: 'list', children: Array.from({ length: 101 }, () => ({ kind: 'divider' })) };
    expect(validateUINodeWithin(wide, { maxDepth: 5, maxNodes: 101 }).ok).toBe(false);
    expect(validateUINodeWithin(wide, { maxDepth: 5, maxNodes: 102 }).ok).toBe(true);
    expect(checkTreeBounds(deepTree(3), { maxDepth: 4, maxNodes: 10 })).toBeNull();
    expect(checkTreeBounds(deepTree(4), { maxDepth: 4, maxNodes: 10 })).toMatchObject({ bound: 'depth' });
  });

  it('rejects values JSON cannot carry', () => {
    for (const bad of [() => 1, Symbol('x'), 1n, Number.NaN, Infinity, new Date(), new Map(), [undefined]]) {
      expect(validateJSONValue({ a: bad }).ok).toBe(false);
    }
  });

  it('rejects over-long strings', () => {
    expect(
      checkJsonBounds({ s: 'x'.repeat(11) }, { maxDepth: 5, maxValues: 10, maxStringLength: 10 }),
    ).toMatchObject({
      bound: 'string-length',
      path: '/s',
    });
  });

  it('measures JSON text bytes and depth without parsing, ignoring brackets in strings', () => {
    expect(measureJsonText('{"a":"[[[{{{","b":[[1]]}', 1e9, 1e9)).toEqual({ bytes: 24, depth: 3 });
    expect(measureJsonText('"\\"["', 1e9, 1e9).depth).toBe(0);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(measureJsonText(deep, 1e9, 64).depth).toBe(65);
    expect(measureJsonText('x'.repeat(1000), 10, 10).bytes).toBe(11);
    expect(utf8Length('é€😀')).toBe(2 + 3 + 4);
  });
});

describe('limit profiles', () => {
  it.each(['strict', 'default', 'generous'] as const)(
    '%s is valid and inside the documented ranges',
    (name) => {
      const p = LIMIT_PROFILES[name];
      expect(validateRuntimeLimits(p).ok).toBe(true);
      expect(p.memoryBytes).toBeGreaterThanOrEqual(16 * 1024 * 1024);
      expect(p.memoryBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
      expect(p.stackBytes).toBeLessThanOrEqual(512 * 1024);
      expect(p.renderTimeoutMs).toBeGreaterThanOrEqual(30);
      expect(p.renderTimeoutMs).toBeLessThanOrEqual(100);
      expect(p.eventTimeoutMs).toBeLessThanOrEqual(100);
      expect(p.loadTimeoutMs).toBeLessThanOrEqual(250);
    },
  );

  it('strict ≤ default ≤ generous for every limit', () => {
    for (const key of Object.keys(LIMIT_PROFILES.default) as (keyof typeof LIMIT_PROFILES.default)[]) {
      expect(LIMIT_PROFILES.strict[key]).toBeLessThanOrEqual(LIMIT_PROFILES.default[key]);
      expect(LIMIT_PROFILES.default[key]).toBeLessThanOrEqual(LIMIT_PROFILES.generous[key]);
    }
  });

  it('applies overrides and clamps them to the host ceiling', () => {
    const limits = resolveLimits('strict', { renderTimeoutMs: 10, memoryBytes: 1e12 });
    expect(limits.renderTimeoutMs).toBe(10);
    expect(limits.memoryBytes).toBe(LIMIT_PROFILES.generous.memoryBytes);
    expect(limits.stackBytes).toBe(LIMIT_PROFILES.strict.stackBytes);
    expect(resolveLimits().eventTimeoutMs).toBe(LIMIT_PROFILES.default.eventTimeoutMs);
  });
});

describe('keys and ids the host could mistake for something else', () => {
  it('refuses "__proto__" as a key in any spelling, and keeps it as a value', () => {
    for (const text of ['{"__proto__":{"admin":true}}', '{"a":[{"\\u005f_proto__":1}]}']) {
      const issue = checkJsonBounds(JSON.parse(text));
      expect(issue?.message).toMatch(/"__proto__" is not allowed as a key/);
    }
    expect(checkJsonBounds(JSON.parse('{"a":[{"\\u005f_proto__":1}]}'))?.path).toBe('/a/0/__proto__');
    expect(checkJsonBounds({ name: '__proto__', list: ['__proto__'] })).toBe(null);
    expect(validateUINode({ kind: 'text', text: '__proto__' }).ok).toBe(true);
  });

  it('refuses ids and key fields that are not well-formed Unicode, naming the field', () => {
    const load = validateLoadPluginParams({ pluginId: 'r\ud800', code: '' });
    expect(load.ok).toBe(false);
    if (!load.ok) {
      expect(load.issues[0]!.path).toBe('/pluginId');
      expect(load.message).toMatch(/pluginId is not well-formed Unicode: .*U\+D800 at index 1/);
    }
    const call = { pluginId: 'p', widgetId: 'main', pluginState: null, globalState: null };
    const render = validateRenderParams({ ...call, widgetId: 'w\udc00x' });
    expect(render.ok ? '' : render.issues[0]!.path).toBe('/widgetId');
    const event = validateEventParams({ ...call, handler: '\udbffgo', event: { name: 'click' } });
    expect(event.ok ? '' : event.issues[0]!.path).toBe('/handler');
    expect(validateLoadPluginParams({ pluginId: 'r😀', code: '' }).ok).toBe(true);
  });
});
