/**
 * @module suite
 * The conformance suite. Every assertion is on what a user of a SandboxClient would notice:
 * results, error codes (never classes or messages), what stopped a failing call and at which
 * deadline (from the runtime's own report), that it really stops, diagnostics, and that the
 * host, other plugins and the same plugin keep working after every attack.
 */
import {
  CorralError,
  LIMIT_PROFILES,
  validateDiagnostic,
  validateEventResult,
  validatePluginMeta,
  validateRenderResult,
  type CallDiagnostic,
  type Diagnostic,
  type DispatchSource,
  type ErrorCode,
  type JSONValue,
  type LoadPluginParams,
  type RenderResult,
  type RpcOp,
  type UINode,
} from '@corral/contracts';
import { createSystemClock } from '../clock.js';
import type { SandboxClient } from '../rpc/createSandboxClient.js';
import {
  ATTACKS,
  FORBIDDEN_GLOBALS,
  LONG_NATIVE_ATTACKS,
  armedPlugin,
  forgedFailureReport,
  forgedPayloadText,
  returning,
  type AttackSite,
} from './attacks.js';

/** Matchers the suite uses; vitest's and jest's `expect` satisfy it. */
export interface Assertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toContain(expected: unknown): void;
  toMatch(expected: RegExp | string): void;
  toBeGreaterThan(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toBeLessThanOrEqual(expected: number): void;
  toHaveLength(expected: number): void;
  toBeTypeOf(expected: string): void;
  not: Assertion;
}

/** The injected test framework. */
export interface TestFramework {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): void;
  expect(actual: unknown, message?: string): Assertion;
  beforeAll(body: () => Promise<void> | void, timeoutMs?: number): void;
  afterAll(body: () => Promise<void> | void, timeoutMs?: number): void;
}

/** The shared benchmark fixtures (read by the host's test file; core reads no files). */
export interface ConformanceFixtures {
  counter: string;
  todo50: string;
  todo50State: JSONValue;
}

export interface ConformanceOptions {
  /** Shown in test names, e.g. `in-thread (quickjs)`. */
  name: string;
  /**
   * A fresh client. The host behind it must allow exactly one global action type,
   * `notifications/add`, and use the default failure threshold (5 failures in 60 s).
   */
  createClient(): Promise<SandboxClient>;
  fixtures: ConformanceFixtures;
  /** The `source` this host stamps on dispatches. */
  source: DispatchSource;
  /**
   * Extra time the host's transport may add to a failing call, on top of the suite's margin for
   * a loaded machine (see `STOP_MARGIN_MS`). Default 0.
   */
  transportSlackMs?: number;
}

const NOW = 1_700_000_000_000;

/**
 * How long past its deadline a failing call may take to settle, as its caller sees it. This
 * bound proves that the call really stops (one that does not runs until the test's own
 * timeout); it does not measure how fast a host is, which is the benchmarks' job. It is wall
 * time on a machine that may be doing other work: thread scheduling on a few busy cores, a GC
 * pause and the transport add tens of milliseconds to a call (~70 ms over HTTP, seen on two
 * loaded cores), so the margin is a full second. What stopped the call — the runtime, at the
 * deadline the plugin was loaded with, not a host-side watchdog — is checked exactly, from the
 * runtime's own report (see `expectStopped`), and does not depend on the machine's speed.
 */
const STOP_MARGIN_MS = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function defineConformanceSuite(t: TestFramework, options: ConformanceOptions): void {
  const { describe, it, expect, beforeAll, afterAll } = t;
  const { fixtures } = options;
  const stopMarginMs = STOP_MARGIN_MS + (options.transportSlackMs ?? 0);
  // The suite's bounds are real time: its deadlines are enforced by a real runtime.
  const clock = createSystemClock();
  let client: SandboxClient;
  const diagnostics: Diagnostic[] = [];
  let seq = 0;
  const uid = (name: string) => `${name}-${++seq}`;

  async function rejection(promise: Promise<unknown>): Promise<CorralError> {
    try {
      await promise;
    } catch (error) {
      return CorralError.fromUnknown(error);
    }
    throw new Error('expected the call to fail, but it succeeded');
  }

  async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<CorralError> {
    const error = await rejection(promise);
    expect(`${error.code}: ${error.message}`).toMatch(new RegExp(`^${code}: `));
    return error;
  }

  /** Diagnostics arrive asynchronously over some transports: wait for a matching one. */
  async function waitForDiagnostic(match: (d: Diagnostic) => boolean, timeoutMs = 2000): Promise<Diagnostic> {
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      const found = diagnostics.find(match);
      if (found) return found;
      if (clock.now() > deadline) throw new Error('expected diagnostic never arrived');
      await new Promise((r) => clock.setTimeout(() => r(undefined), 5));
    }
  }

  /**
   * A call that must fail with `code` because a limit stopped it. Checked: the code; that the
   * runtime stopped it and reported the call (a host-side watchdog that had to step in says
   * `killed`, and a killed worker reports nothing); for LIMIT_TIME, the deadline it enforced is
   * the one the plugin was loaded with and the call ran at least that long (or it was the job
   * budget); and that it settled within the deadline plus `stopMarginMs`.
   */
  async function expectStopped(
    call: () => Promise<unknown>,
    expected: { pluginId: string; op: RpcOp; code: ErrorCode; deadlineMs: number },
  ): Promise<CorralError> {
    const { pluginId, op, code, deadlineMs } = expected;
    const started = clock.now();
    const error = await expectCode(call(), code);
    const elapsedMs = clock.now() - started;
    const details = (error.details ?? {}) as { killed?: boolean; limitMs?: number; limit?: string };
    expect(details.killed, 'a host-side watchdog, not the runtime, stopped the call').not.toBe(true);
    const report = (await waitForDiagnostic(
      (d) => d.kind === 'call' && d.pluginId === pluginId && d.op === op && d.errorCode === code,
    ).catch(() => {
      throw new Error(`the runtime never reported the ${op} call that failed ${code}`);
    })) as CallDiagnostic;
    if (code === 'LIMIT_TIME') {
      expect(report.interrupted).toBe(true);
      if (details.limit === 'maxPendingJobs')
        expect(error.details).toMatchObject({ limit: 'maxPendingJobs' });
      else {
        expect(details.limitMs, 'the deadline the runtime enforced').toBe(deadlineMs);
        expect(report.elapsedMs).toBeGreaterThanOrEqual(deadlineMs);
      }
    }
    expect(elapsedMs, `${code} settled ${Math.round(elapsedMs)} ms after the call`).toBeLessThanOrEqual(
      deadlineMs + stopMarginMs,
    );
    return error;
  }

  async function load(code: string, extra: Partial<LoadPluginParams> = {}): Promise<string> {
    const pluginId = extra.pluginId ?? uid('plugin');
    await client.loadPlugin({ pluginId, code, ...extra });
    return pluginId;
  }

  const render = (pluginId: string, pluginState: JSONValue = {}, extra: object = {}) =>
    client.render({ pluginId, widgetId: 'main', pluginState, globalState: {}, now: NOW, seed: 1, ...extra });

  const event = (pluginId: string, handler: string, pluginState: JSONValue, extra: object = {}) =>
    client.event({
      pluginId,
      widgetId: 'main',
      handler,
      event: { name: 'click' },
      pluginState,
      globalState: {},
      now: NOW,
      seed: 1,
      ...extra,
    });

  /** The host and a bystander plugin still work. */
  let bystander: string;
  async function expectHealthy(): Promise<void> {
    const health = await client.health();
    expect(health.source).toBe(options.source);
    const out = await render(bystander, { count: 41 });
    expect(JSON.stringify(out.tree)).toContain('Count: 41');
  }

  function countNodes(tree: UINode): number {
    let n = 0;
    const stack: UINode[] = [tree];
    while (stack.length) {
      const node = stack.pop()!;
      n++;
      if ('children' in node) stack.push(...node.children);
    }
    return n;
  }

  describe(`conformance: ${options.name}`, () => {
    beforeAll(async () => {
      client = await options.createClient();
      client.onDiagnostic((d) => diagnostics.push(d));
      bystander = await load(fixtures.counter, { pluginId: 'bystander-counter' });
    }, 60_000);

    afterAll(async () => {
      await client?.close();
    }, 30_000);

    // ------------------------------------------------------------------------------------------
    describe('shared fixtures', () => {
      it('loads counter and reports its metadata', async () => {
        const meta = await client.loadPlugin({ pluginId: 'counter', code: fixtures.counter });
        expect(validatePluginMeta(meta).ok).toBe(true);
        // The stack the host granted is reported beside the metadata ('stack budget' below).
        const { stackBytes, requestedStackBytes, ...definition } = meta;
        expect(stackBytes).toBeTypeOf('number');
        expect(requestedStackBytes ?? stackBytes).toBe(LIMIT_PROFILES.default.stackBytes);
        expect(definition).toEqual({
          pluginId: 'counter',
          title: 'Counter',
          widgets: [{ id: 'main', title: 'Counter' }],
          handlers: ['inc'],
          reducers: ['increment'],
          initialState: { count: 0 },
        });
      });

      it('renders counter from the host state', async () => {
        const result = await render('counter', { count: 5 });
        expect(validateRenderResult(result).ok).toBe(true);
        expect(result.tree).toEqual({
          kind: 'panel',
          title: 'Counter',
          children: [
            { kind: 'text', text: 'Count: 5' },
            { kind: 'button', label: '+1', onClick: { handler: 'inc' } },
          ],
        });
      });

      it('handles a counter click: reducer applied, dispatch stamped by the host', async () => {
        const result = await event('counter', 'inc', { count: 5 });
        expect(validateEventResult(result).ok).toBe(true);
        expect(result.pluginState).toEqual({ count: 6 });
        expect(result.dispatches).toHaveLength(1);
        const [d] = result.dispatches;
        expect(d).toMatchObject({
          type: 'increment',
          payload: { by: 1 },
          meta: { scope: 'plugin', pluginId: 'counter', ts: NOW, source: options.source, accepted: true },
        });
        expect(d!.meta.dispatchId).toMatch(UUID);
      });

      it('text outside ASCII crosses intact: ids, states, trees, payloads and logs', async () => {
        const id = await load(`definePlugin({
          title: "Grüße 👋",
          reducers: { "grüßen": function (s, p) { return { name: s.name + p.suffix }; } },
          widgets: { "übersicht": { title: "Übersicht 📋", render: function (ctx) {
            return { kind: "text", text: ctx.pluginState.name + " · 日本語 😀" };
          } } },
          handlers: { "grüß": function (ctx) {
            ctx.log("héllo " + ctx.event.args.who);
            ctx.dispatchPluginAction("grüßen", { suffix: " ✓" });
          } },
        });`);
        const name = 'Zoë 🦊\u00a0Ωμέγα';
        const base = { pluginId: id, widgetId: 'übersicht', globalState: { clé: '€' }, now: NOW, seed: 1 };
        const rendered = await client.render({ ...base, pluginState: { name } });
        expect(rendered.tree).toEqual({ kind: 'text', text: `${name} · 日本語 😀` });
        const result = await client.event({
          ...base,
          handler: 'grüß',
          event: { name: 'click', args: { who: 'Łukasz' } },
          pluginState: { name },
        });
        expect(result.pluginState).toEqual({ name: `${name} ✓` });
        expect(result.dispatches[0]).toMatchObject({ type: 'grüßen', payload: { suffix: ' ✓' } });
        expect(result.diagnostics.filter((d) => d.kind === 'log')).toEqual([
          { kind: 'log', pluginId: id, level: 'info', message: 'héllo Łukasz' },
        ]);
        const health = await client.health();
        expect(health.plugins.find((p) => p.pluginId === id)?.status).toBe('ready');
      });

      it('renders todo50 to its 48-node tree', async () => {
        await client.loadPlugin({ pluginId: 'todo50', code: fixtures.todo50 });
        const { tree } = await render('todo50', fixtures.todo50State);
        expect(countNodes(tree)).toBe(48);
        expect(JSON.stringify(tree).length).toBeGreaterThan(3000);
      });

      it('handles todo50 toggle, inc and a global remove', async () => {
        const state = fixtures.todo50State as {
          items: { id: string; done: boolean }[];
          count: number;
          step: number;
        };
        const toggled = await client.event({
          pluginId: 'todo50',
          widgetId: 'main',
          handler: 'toggle',
          event: { name: 'change', args: { id: 'item-1' }, value: true },
          pluginState: state,
          globalState: {},
        });
        const items = (toggled.pluginState as typeof state).items;
        expect(items[1]!.done).toBe(!state.items[1]!.done);
        expect(items[0]!.done).toBe(state.items[0]!.done);

        const inc = await event('todo50', 'inc', state);
        expect((inc.pluginState as typeof state).count).toBe(state.count + state.step);

        const removed = await client.event({
          pluginId: 'todo50',
          widgetId: 'main',
          handler: 'remove',
          event: { name: 'click', args: { id: 'item-3' } },
          pluginState: state,
          globalState: {},
        });
        expect(removed.pluginState).toEqual(state);
        expect(removed.dispatches).toHaveLength(1);
        expect(removed.dispatches[0]).toMatchObject({
          type: 'notifications/add',
          payload: { text: 'removed item-3' },
          meta: { scope: 'global', accepted: true, source: options.source },
        });
      });

      it('refuses global actions off the allowlist and plugin actions without a reducer', async () => {
        const id =
          await load(`definePlugin({ reducers: { ok: function (s) { return s; } }, widgets: { main: { render: function () { return { kind: "divider" }; } } },
          handlers: { go: function (ctx) { ctx.dispatchGlobalAction("admin/deleteEverything", { all: true }); ctx.dispatchPluginAction("missing"); ctx.dispatchPluginAction("ok"); } } });`);
        const result = await event(id, 'go', { v: 1 });
        expect(result.dispatches.map((d) => [d.type, d.meta.scope, d.meta.accepted])).toEqual([
          ['admin/deleteEverything', 'global', false],
          ['missing', 'plugin', false],
          ['ok', 'plugin', true],
        ]);
        expect(result.dispatches[0]!.meta.reason).toMatch(/allowlist/);
        expect(result.dispatches[1]!.meta.reason).toMatch(/reducer/);
        expect(result.pluginState).toEqual({ v: 1 });
      });

      it('stamps a unique dispatchId on every dispatch', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 20; i++) {
          const r = await event('counter', 'inc', { count: i });
          for (const d of r.dispatches) ids.add(d.meta.dispatchId);
        }
        expect(ids.size).toBe(20);
      });

      it('reloading under the same id replaces the plugin; a failed reload keeps the old one', async () => {
        const id = await load(returning('{ kind: "text", text: "v1" }'));
        await client.loadPlugin({ pluginId: id, code: returning('{ kind: "text", text: "v2" }') });
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'v2' });
        await expectCode(client.loadPlugin({ pluginId: id, code: 'definePlugin({' }), 'LOAD_FAILED');
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'v2' });
      });

      it('disposes a plugin: it is gone, and the host reports it no more', async () => {
        const id = await load(fixtures.counter);
        expect((await client.health()).plugins.map((p) => p.pluginId)).toContain(id);
        await client.disposePlugin({ pluginId: id });
        await expectCode(render(id, { count: 1 }), 'UNKNOWN_PLUGIN');
        expect((await client.health()).plugins.map((p) => p.pluginId)).not.toContain(id);
      });

      it('reports health: engine, heap and each plugin with status, memory and limits', async () => {
        const health = await client.health();
        expect(health.source).toBe(options.source);
        expect(health.engine).toMatch(/^quickjs/);
        expect(health.heapBytes).toBeGreaterThan(0);
        const counter = health.plugins.find((p) => p.pluginId === 'counter')!;
        expect(counter.status).toBe('ready');
        expect(counter.memoryBytes).toBeGreaterThan(0);
        // The host may lower stackBytes to what its thread can carry; everything else is the profile.
        expect({ ...counter.limits, stackBytes: 0 }).toEqual({ ...LIMIT_PROFILES.default, stackBytes: 0 });
        expect(counter.limits.stackBytes).toBeLessThanOrEqual(LIMIT_PROFILES.default.stackBytes);
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('error codes', () => {
      it('INVALID_REQUEST names the offending path', async () => {
        const error = await expectCode(
          client.render({ pluginId: 'counter', widgetId: 'main', pluginState: {} } as never),
          'INVALID_REQUEST',
        );
        expect(JSON.stringify(error.details)).toMatch(/globalState/);
        await expectCode(client.loadPlugin({ pluginId: '', code: 'x' }), 'INVALID_REQUEST');
        await expectCode(
          client.loadPlugin({ pluginId: 'p', code: 'x', profile: 'huge' as never }),
          'INVALID_REQUEST',
        );
        await expectCode(
          client.event({
            pluginId: 'counter',
            widgetId: 'main',
            handler: 'inc',
            event: { name: 'hover' as never },
            pluginState: {},
            globalState: {},
          }),
          'INVALID_REQUEST',
        );
      });

      it('CODE_TOO_LARGE for source past maxCodeBytes', async () => {
        const code = `// ${'x'.repeat(LIMIT_PROFILES.strict.maxCodeBytes)}\n${fixtures.counter}`;
        await expectCode(
          client.loadPlugin({ pluginId: uid('big'), code, profile: 'strict' }),
          'CODE_TOO_LARGE',
        );
      });

      it('LOAD_FAILED for a syntax error or a throwing top level', async () => {
        await expectCode(
          client.loadPlugin({ pluginId: uid('syntax'), code: 'definePlugin({' }),
          'LOAD_FAILED',
        );
        const error = await expectCode(
          client.loadPlugin({ pluginId: uid('throws'), code: 'throw new Error("boom at load")' }),
          'LOAD_FAILED',
        );
        expect(error.message).toMatch(/boom at load/);
      });

      it('INVALID_PLUGIN when definePlugin is missing, repeated or malformed', async () => {
        const cases = [
          '1 + 1',
          'definePlugin({}); definePlugin({});',
          'definePlugin({ widgets: { main: { title: "no render" } } })',
          'definePlugin({ widgets: { main: { render: function () {}, refreshMs: 10 } } })',
          'definePlugin({ handlers: { go: 42 } })',
          'definePlugin({ initialState: { f: function () {} }, widgets: {} })',
          'definePlugin(null)',
          // The host hands names to the VM as C strings, which end at U+0000: "a\u0000b" would
          // reach widget "a". Such names are refused at definition.
          'definePlugin({ widgets: { "a\\u0000b": { render: function () { return { kind: "divider" }; } } } })',
          'definePlugin({ handlers: { "go\\u0000": function () {} } })',
          'definePlugin({ reducers: { "\\u0000": function (s) { return s; } } })',
        ];
        for (const code of cases)
          await expectCode(client.loadPlugin({ pluginId: uid('invalid'), code }), 'INVALID_PLUGIN');
      });

      it('accepts refreshMs of at least 250 and reports it', async () => {
        const meta = await client.loadPlugin({
          pluginId: uid('refresh'),
          code: 'definePlugin({ widgets: { clock: { title: "Clock", refreshMs: 1000, render: function (c) { return { kind: "text", text: String(c.now()) }; } } } })',
        });
        expect(meta.widgets).toEqual([{ id: 'clock', title: 'Clock', refreshMs: 1000 }]);
      });

      it('UNKNOWN_PLUGIN, UNKNOWN_WIDGET, UNKNOWN_HANDLER', async () => {
        await expectCode(render('never-loaded'), 'UNKNOWN_PLUGIN');
        await expectCode(
          client.render({ pluginId: 'counter', widgetId: 'side', pluginState: {}, globalState: {} }),
          'UNKNOWN_WIDGET',
        );
        await expectCode(event('counter', 'nope', { count: 1 }), 'UNKNOWN_HANDLER');
      });

      it('PLUGIN_THREW with the plugin-side error in details', async () => {
        const id = await load(armedPlugin('render', 'throw new TypeError("kaboom");'));
        const error = await expectCode(render(id, { attack: true }), 'PLUGIN_THREW');
        expect(error.details).toMatchObject({ name: 'TypeError', message: 'kaboom' });
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
        const odd = await load(armedPlugin('handler', 'throw 42;'));
        await expectCode(event(odd, 'go', { attack: true }), 'PLUGIN_THREW');
      });

      it('getters and toJSON methods in an output run normally, helpers and all', async () => {
        // The output is serialized on a stack kept shallow against deep values; ordinary code
        // called from the serializer still has room.
        const helpers = 'function depth(n) { return n === 0 ? "ok" : depth(n - 1); }';
        const id = await load(
          returning(
            `(function () { ${helpers} return { kind: "panel", children: [` +
              '{ kind: "text", get text() { return depth(25); } },' +
              '{ toJSON: function () { return { kind: "text", text: depth(25) + "!" }; } }] }; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({
          kind: 'panel',
          children: [
            { kind: 'text', text: 'ok' },
            { kind: 'text', text: 'ok!' },
          ],
        });
      });

      it('INVALID_OUTPUT for trees that are not UINodes', async () => {
        for (const expr of [
          '{ kind: "script", src: "x.js" }',
          '{ kind: "text" }',
          '{ kind: "text", text: "x", style: "color:red" }',
          '"just a string"',
          'null',
        ]) {
          const id = await load(returning(expr));
          await expectCode(render(id), 'INVALID_OUTPUT');
          // The call's diagnostic says so too, wherever the tree was checked.
          const diagnostic = await waitForDiagnostic(
            (d) => d.kind === 'call' && d.pluginId === id && d.op === 'render',
          );
          expect(diagnostic).toMatchObject({ errorCode: 'INVALID_OUTPUT' });
        }
      });

      it('OUTPUT_TOO_LARGE past maxOutputNodes, maxOutputDepth or maxOutputBytes', async () => {
        const nodes = await load(
          returning(
            '{ kind: "list", children: Array.from({ length: 3000 }, function () { return { kind: "divider" }; }) }',
          ),
          { profile: 'strict' },
        );
        await expectCode(render(nodes), 'OUTPUT_TOO_LARGE');
        const diagnostic = await waitForDiagnostic(
          (d) => d.kind === 'call' && d.pluginId === nodes && d.op === 'render',
        );
        expect(diagnostic).toMatchObject({ errorCode: 'OUTPUT_TOO_LARGE' });
        const deep = await load(
          returning(
            '(function () { var n = { kind: "divider" }; for (var i = 0; i < 40; i++) n = { kind: "column", children: [n] }; return n; })()',
          ),
          { profile: 'strict' },
        );
        await expectCode(render(deep), 'OUTPUT_TOO_LARGE');
        const bytes = await load(returning('{ kind: "text", text: "x".repeat(300000) }'), {
          profile: 'strict',
        });
        await expectCode(render(bytes), 'OUTPUT_TOO_LARGE');
      });

      it('INVALID_STATE for a state snapshot past maxStateBytes', async () => {
        const id = await load(fixtures.counter, { profile: 'strict' });
        await expectCode(
          render(id, { blob: 'x'.repeat(LIMIT_PROFILES.strict.maxStateBytes) }),
          'INVALID_STATE',
        );
        await expectCode(
          event(
            id,
            'inc',
            { count: 1 },
            { globalState: { blob: 'y'.repeat(LIMIT_PROFILES.strict.maxStateBytes) } },
          ),
          'INVALID_STATE',
        );
      });

      it('INVALID_STATE, naming the value, for a state JSON cannot carry as it is', async () => {
        const id = await load(fixtures.counter);
        const cyclic: Record<string, unknown> = { count: 1 };
        cyclic.self = cyclic;
        const notJson: [string, unknown, string][] = [
          ['NaN', { count: NaN }, '/count'],
          ['Infinity', { count: 1, list: [1, -Infinity] }, '/list/1'],
          ['undefined in an array', { count: 1, list: [undefined] }, '/list/0'],
          ['a function', { count: 1, f: () => 1 }, '/f'],
          ['a symbol', { count: 1, s: Symbol('s') }, '/s'],
          ['a bigint', { count: 1n }, '/count'],
          ['a Date', { count: 1, at: new Date(0) }, '/at'],
          ['a cycle', cyclic, '/self'],
        ];
        for (const [what, state, path] of notJson) {
          const error = await expectCode(render(id, state as JSONValue), 'INVALID_STATE');
          expect(error.details, what).toMatchObject({ state: 'pluginState' });
          expect(String((error.details as { path: string }).path).startsWith(path), what).toBe(true);
        }
        const inGlobal = await expectCode(
          event(id, 'inc', { count: 1 }, { globalState: { n: NaN } }),
          'INVALID_STATE',
        );
        expect(inGlobal.details).toMatchObject({ state: 'globalState', path: '/n' });
        // Nothing was lost: the plugin answers the next valid call.
        expect(JSON.stringify((await render(id, { count: 5 })).tree)).toContain('5');
      });

      it('PLUGIN_ERRORED after repeated limit failures, until reloaded', async () => {
        const code = armedPlugin('render', ATTACKS.infiniteLoop);
        const id = await load(code, { limits: { renderTimeoutMs: 5 } });
        for (let i = 0; i < 5; i++) await expectCode(render(id, { attack: true }), 'LIMIT_TIME');
        await expectCode(render(id), 'PLUGIN_ERRORED');
        const health = await client.health();
        expect(health.plugins.find((p) => p.pluginId === id)).toMatchObject({ status: 'errored' });
        await client.loadPlugin({ pluginId: id, code, limits: { renderTimeoutMs: 5 } });
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('limits and profiles', () => {
      it('a load may tighten a deadline below its profile', async () => {
        const id = await load(armedPlugin('render', ATTACKS.infiniteLoop), {
          limits: { renderTimeoutMs: 8 },
        });
        await expectStopped(() => render(id, { attack: true }), {
          pluginId: id,
          op: 'render',
          code: 'LIMIT_TIME',
          deadlineMs: 8,
        });
      });

      it('profiles differ: strict caps dispatches at 16, generous allows more', async () => {
        const code = armedPlugin(
          'handler',
          'for (var i = 0; i < 40; i++) ctx.dispatchGlobalAction("notifications/add", i);',
        );
        const strict = await load(code, { profile: 'strict' });
        await expectCode(event(strict, 'go', { attack: true }), 'DISPATCH_LIMIT');
        const generous = await load(code, { profile: 'generous' });
        const result = await event(generous, 'go', { attack: true });
        expect(result.dispatches).toHaveLength(41);
      });

      it('limits a caller asks for are clamped to the host ceiling', async () => {
        const id = await load(fixtures.counter, {
          limits: { renderTimeoutMs: 10_000_000, memoryBytes: 2 ** 40 },
        });
        const plugin = (await client.health()).plugins.find((p) => p.pluginId === id)!;
        expect(plugin.limits.renderTimeoutMs).toBeLessThanOrEqual(LIMIT_PROFILES.generous.renderTimeoutMs);
        expect(plugin.limits.memoryBytes).toBeLessThanOrEqual(LIMIT_PROFILES.generous.memoryBytes);
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('determinism', () => {
      const probe = returning(
        '{ kind: "text", text: JSON.stringify([ctx.now(), Date.now(), new Date().toISOString(), Math.random(), Math.random(), ctx.pluginState]) }',
      );

      it('same code + state + now + seed ⇒ same tree; now() and Date agree', async () => {
        const id = await load(probe);
        const a = await render(id, { x: 1 }, { now: NOW, seed: 7 });
        const b = await render(id, { x: 1 }, { now: NOW, seed: 7 });
        expect(a.tree).toEqual(b.tree);
        const values = JSON.parse((a.tree as { text: string }).text) as unknown[];
        expect(values.slice(0, 3)).toEqual([NOW, NOW, new Date(NOW).toISOString()]);
        const c = await render(id, { x: 1 }, { now: NOW, seed: 8 });
        expect(c.tree).not.toEqual(a.tree);
      });

      it('fills in now and seed when absent and reports them, so the call can be replayed', async () => {
        const id = await load(probe);
        // Deliberately without `render` above: it would fill in now and seed itself.
        const renderAt = (at: { now?: number; seed?: number }) =>
          client.render({ pluginId: id, widgetId: 'main', pluginState: { y: 2 }, globalState: {}, ...at });
        const callOf = (result: RenderResult) =>
          result.diagnostics.find((d) => d.kind === 'call') as { now: number; seed: number } | undefined;
        const first = await renderAt({});
        expect(callOf(first)).toMatchObject({ kind: 'call', op: 'render' });
        const { now, seed } = callOf(first)!;
        expect(now).toBeGreaterThan(NOW);
        expect(seed).toBeTypeOf('number');
        const replay = await renderAt({ now, seed });
        expect(replay.tree).toEqual(first.tree);
        // Each call without a seed draws its own: Math.random does not repeat from call to call.
        const again = await renderAt({ now });
        expect(callOf(again)!.seed).not.toBe(seed);
        const randoms = (tree: unknown): unknown[] =>
          (JSON.parse((tree as { text: string }).text) as unknown[]).slice(3, 5);
        expect(randoms(again.tree)).not.toEqual(randoms(first.tree));
      });

      it('same event + now + seed ⇒ same pluginState and dispatch types/payloads', async () => {
        const id =
          await load(`definePlugin({ reducers: { roll: function (s, p) { return { total: s.total + p.r, at: p.at }; } },
          widgets: { main: { render: function () { return { kind: "divider" }; } } },
          handlers: { go: function (ctx) { ctx.dispatchPluginAction("roll", { r: Math.random(), at: ctx.now() }); ctx.dispatchGlobalAction("notifications/add", { r: Math.random() }); } } });`);
        const a = await event(id, 'go', { total: 0 }, { now: NOW, seed: 99 });
        const b = await event(id, 'go', { total: 0 }, { now: NOW, seed: 99 });
        expect(a.pluginState).toEqual(b.pluginState);
        expect(a.dispatches.map((d) => [d.type, d.payload])).toEqual(
          b.dispatches.map((d) => [d.type, d.payload]),
        );
        expect(a.dispatches[0]!.meta.dispatchId).not.toBe(b.dispatches[0]!.meta.dispatchId);
      });

      it('a plugin cannot measure time inside a call', async () => {
        const id = await load(
          returning(
            '(function () { var t0 = Date.now(); for (var i = 0; i < 1e5; i++) {} return { kind: "text", text: String(Date.now() - t0) + "/" + String(ctx.now() - t0) }; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({ kind: 'text', text: '0/0' });
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('diagnostics', () => {
      it('every call emits {pluginId, op, elapsedMs, interrupted, memoryError, errorCode?}', async () => {
        const id = await load(armedPlugin('render', ATTACKS.infiniteLoop), { profile: 'strict' });
        await render(id);
        const ok = await waitForDiagnostic(
          (d) => d.kind === 'call' && d.pluginId === id && d.op === 'render',
        );
        expect(validateDiagnostic(ok).ok).toBe(true);
        expect(ok).toMatchObject({ interrupted: false, memoryError: false });
        expect((ok as { errorCode?: string }).errorCode).toBe(undefined);
        await expectCode(render(id, { attack: true }), 'LIMIT_TIME');
        const failed = await waitForDiagnostic(
          (d) => d.kind === 'call' && d.pluginId === id && d.errorCode === 'LIMIT_TIME',
        );
        expect(failed).toMatchObject({ interrupted: true, op: 'render' });
        expect((failed as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(
          LIMIT_PROFILES.strict.renderTimeoutMs,
        );
        await waitForDiagnostic((d) => d.kind === 'call' && d.pluginId === id && d.op === 'loadPlugin');
      });

      it('memory failures are flagged', async () => {
        const id = await load(armedPlugin('render', ATTACKS.typedArrays), { profile: 'strict' });
        await expectCode(render(id, { attack: true }), 'LIMIT_MEMORY');
        await waitForDiagnostic(
          (d) => d.kind === 'call' && d.pluginId === id && d.memoryError && d.errorCode === 'LIMIT_MEMORY',
        );
      });

      it('every dispatch emits {dispatchId, pluginId, scope, type, accepted}', async () => {
        const result = await event('counter', 'inc', { count: 1 });
        const dispatchId = result.dispatches[0]!.meta.dispatchId;
        const d = await waitForDiagnostic((x) => x.kind === 'dispatch' && x.dispatchId === dispatchId);
        expect(d).toEqual({
          kind: 'dispatch',
          dispatchId,
          pluginId: 'counter',
          scope: 'plugin',
          type: 'increment',
          accepted: true,
        });
        expect(result.diagnostics.some((x) => x.kind === 'dispatch' && x.dispatchId === dispatchId)).toBe(
          true,
        );
      });

      it('forwards log() lines with level and pluginId, bounded in count and length', async () => {
        const id = await load(
          returning(
            '(function () { ctx.log("hello", { a: 1 }); ctx.log.warn("careful"); ctx.log.error("x".repeat(5000)); for (var i = 0; i < 100; i++) ctx.log("spam " + i); return { kind: "divider" }; })()',
          ),
          { profile: 'strict' },
        );
        const result = await render(id);
        const logs = result.diagnostics.filter((d) => d.kind === 'log');
        expect(logs[0]).toEqual({ kind: 'log', pluginId: id, level: 'info', message: 'hello {"a":1}' });
        expect(logs[1]).toMatchObject({ level: 'warn', message: 'careful' });
        expect((logs[2] as { message: string }).message.length).toBeLessThanOrEqual(
          LIMIT_PROFILES.strict.maxLogBytes,
        );
        expect(logs.length).toBeLessThanOrEqual(LIMIT_PROFILES.strict.maxLogsPerCall + 1);
        await waitForDiagnostic((d) => d.kind === 'log' && d.pluginId === id && d.message === 'careful');
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('cancellation: an aborted call settles at once, CANCELLED, and nothing is lost', () => {
      const params = (pluginId: string, pluginState: JSONValue) => ({
        pluginId,
        widgetId: 'main',
        pluginState,
        globalState: {},
        now: NOW,
        seed: 1,
      });
      /** Whether the runtime reported any render of `pluginId` (a call that ran reports itself). */
      const ranRender = (pluginId: string, code?: ErrorCode) =>
        diagnostics.some(
          (d) =>
            d.kind === 'call' &&
            d.pluginId === pluginId &&
            d.op === 'render' &&
            (code === undefined || d.errorCode === code),
        );

      it('a call whose signal already fired fails CANCELLED and never runs', async () => {
        const id = await load(fixtures.counter);
        const error = await expectCode(
          client.render(params(id, { count: 1 }), { signal: AbortSignal.abort() }),
          'CANCELLED',
        );
        expect(error.details).toMatchObject({ op: 'render' });
        await expectHealthy(); // a round trip: a render that ran would have reported by now
        expect(ranRender(id)).toBe(false);
        expect(JSON.stringify((await render(id, { count: 2 })).tree)).toContain('Count: 2');
      });

      it('aborting a running endless loop settles it CANCELLED, not at its deadline, and stops it', async () => {
        const renderTimeoutMs = LIMIT_PROFILES.generous.renderTimeoutMs;
        const id = await load(armedPlugin('render', ATTACKS.infiniteLoop), { limits: { renderTimeoutMs } });
        await client.health();
        const controller = new AbortController();
        const call = client.render(params(id, { attack: true }), { signal: controller.signal });
        controller.abort('stop button');
        // Had the abort done nothing, the loop would end in LIMIT_TIME at its deadline.
        const error = await expectCode(call, 'CANCELLED');
        expect(error.details).toMatchObject({ op: 'render', reason: 'stop button' });
        await expectHealthy();
        expect((await render(id, { attack: false })).tree).toEqual({ kind: 'text', text: 'ok' });
        // The loop never ran to its deadline: it was dropped before it started, or its worker
        // was recycled (a worker that ran it would have reported LIMIT_TIME before answering).
        expect(ranRender(id, 'LIMIT_TIME')).toBe(false);
      });

      it('an abort after the call has settled changes nothing', async () => {
        const id = await load(fixtures.counter);
        const controller = new AbortController();
        const out = await client.event(
          { ...params(id, { count: 1 }), handler: 'inc', event: { name: 'click' } },
          { signal: controller.signal },
        );
        controller.abort();
        expect(out.pluginState).toEqual({ count: 2 });
        await expectHealthy();
        expect(JSON.stringify((await render(id, { count: 3 })).tree)).toContain('Count: 3');
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('adversarial: each fails with the right code within the deadline, and everything recovers', () => {
      const timeouts = LIMIT_PROFILES.strict;

      /**
       * Memory bombs get a small heap and a long deadline, so each test isolates the limit it
       * is about (an allocation loop in QuickJS fills ~16 MiB per 100 ms here).
       */
      const memoryLimits = { memoryBytes: 4 * 1024 * 1024, renderTimeoutMs: 100, eventTimeoutMs: 100 };

      async function attack(site: AttackSite, body: string, code: ErrorCode): Promise<void> {
        const limits = code === 'LIMIT_MEMORY' ? memoryLimits : {};
        const id = await load(armedPlugin(site, body), { profile: 'strict', limits });
        await client.health(); // let any pending engine repair finish outside the timed call
        const profile = { ...timeouts, ...limits };
        const deadline = site === 'render' ? profile.renderTimeoutMs : profile.eventTimeoutMs;
        await expectStopped(
          () => (site === 'render' ? render(id, { attack: true }) : event(id, 'go', { attack: true })),
          { pluginId: id, op: site === 'render' ? 'render' : 'event', code, deadlineMs: deadline },
        );
        await expectHealthy();
        if (site === 'render')
          expect((await render(id, { attack: false })).tree).toEqual({ kind: 'text', text: 'ok' });
        else expect((await event(id, 'go', { attack: false })).pluginState).toEqual({ attack: false, n: 1 });
      }

      it('while(true){} at top level', async () => {
        const id = uid('top-loop');
        // As in attack(): the previous test's background work (a spare VM built after its load,
        // 2-13 ms measured in a worker) finishes before the clock starts.
        await client.health();
        await expectStopped(
          () => client.loadPlugin({ pluginId: id, code: ATTACKS.infiniteLoop, profile: 'strict' }),
          { pluginId: id, op: 'loadPlugin', code: 'LIMIT_TIME', deadlineMs: timeouts.loadTimeoutMs },
        );
        await expectHealthy();
        await client.loadPlugin({ pluginId: id, code: fixtures.counter });
        expect(JSON.stringify((await render(id, { count: 3 })).tree)).toContain('Count: 3');
      });

      it('while(true){} in render', () => attack('render', ATTACKS.infiniteLoop, 'LIMIT_TIME'));
      it('while(true){} in a handler', () => attack('handler', ATTACKS.infiniteLoop, 'LIMIT_TIME'));
      it('while(true){} in a reducer', () => attack('reducer', ATTACKS.infiniteLoop, 'LIMIT_TIME'));
      it('deep recursion', () => attack('render', ATTACKS.deepRecursion, 'LIMIT_STACK'));
      it('deep recursion in a reducer', () => attack('reducer', ATTACKS.deepRecursion, 'LIMIT_STACK'));
      it('allocation bomb: string doubling', () => attack('render', ATTACKS.stringDoubling, 'LIMIT_MEMORY'));
      it('allocation bomb: array push', () => attack('render', ATTACKS.arrayPush, 'LIMIT_MEMORY'));
      it('allocation bomb: object graph', () => attack('handler', ATTACKS.objectGraph, 'LIMIT_MEMORY'));
      it('allocation bomb: typed arrays', () => attack('render', ATTACKS.typedArrays, 'LIMIT_MEMORY'));
      it('allocation bomb: one 1 GB ArrayBuffer', () =>
        attack('render', ATTACKS.oneHugeAllocation, 'LIMIT_MEMORY'));
      it('allocation bomb: one 1e9-element array', () =>
        attack('reducer', ATTACKS.hugeArray, 'LIMIT_MEMORY'));
      it('ReDoS /(a+)+$/', () => attack('render', ATTACKS.redos, 'LIMIT_TIME'));
      it('endless microtask chain', () => attack('render', ATTACKS.microtaskLoop, 'LIMIT_TIME'));
      it('endless async/await loop', () => attack('handler', ATTACKS.asyncChain, 'LIMIT_TIME'));
      it('promise fan-out past the job budget', () => attack('render', ATTACKS.promiseFanOut, 'LIMIT_TIME'));
      it('a thrown object whose message getter loops', () =>
        attack('render', ATTACKS.getterLoop, 'LIMIT_TIME'));
      it('a built-in the interrupt cannot stop still fails LIMIT_TIME when it finishes late', async () => {
        // A naive substring search never calls back into JS, so no interrupt fires inside it.
        // In-thread the call ends when the built-in does; worker hosts kill the thread at
        // deadline + grace (their fault suites time that). The bootstrap now runs this search in
        // windows the deadline stops (see "long native built-ins"): LIMIT_TIME either way.
        const id = await load(armedPlugin('render', ATTACKS.uninterruptibleSearch), { profile: 'strict' });
        await expectCode(render(id, { attack: true }), 'LIMIT_TIME');
        await expectHealthy();
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
      });

      it('a memory bomb leaves every other plugin working', async () => {
        const others = await Promise.all(Array.from({ length: 10 }, () => load(fixtures.counter)));
        await attack('render', ATTACKS.typedArrays, 'LIMIT_MEMORY');
        for (const [i, id] of others.entries()) {
          expect(JSON.stringify((await render(id, { count: i })).tree)).toContain(`Count: ${i}`);
        }
      });

      it('dispatch flood', () =>
        attack('handler', 'while (true) ctx.dispatchPluginAction("set", 1);', 'DISPATCH_LIMIT'));
      it('dispatch flood that swallows the refusal', () =>
        attack(
          'handler',
          'for (var i = 0; i < 1e4; i++) { try { ctx.dispatchGlobalAction("notifications/add", i); } catch (e) {} }',
          'DISPATCH_LIMIT',
        ));
      it('a dispatch flood smuggled past the bootstrap by replacing Array.prototype.join', async () => {
        // The bootstrap joins the intents it carries out with the join it captured at start, so a
        // plugin's own join cannot forge any: only the handler's one real dispatch is applied.
        const id = await load(
          armedPlugin(
            'handler',
            'var forged = []; for (var i = 0; i < 5000; i++) forged.push(\'p"set"\', "1"); ' +
              'var join = Array.prototype.join; Array.prototype.join = function (sep) { ' +
              'return join.call(this.concat(forged), sep); };',
          ),
        );
        const result = await event(id, 'go', { attack: true });
        expect(result.dispatches).toHaveLength(1);
        expect(result.pluginState).toEqual({ attack: false, n: 1 });
        await expectHealthy();
      });
      it('a payload past maxPayloadBytes', () =>
        attack(
          'handler',
          'ctx.dispatchGlobalAction("notifications/add", { blob: "x".repeat(100000) });',
          'DISPATCH_LIMIT',
        ));
      it('render trying to dispatch', async () => {
        const id = await load(
          returning(
            '(function () { ctx.dispatchPluginAction && ctx.dispatchPluginAction("x"); return { kind: "divider" }; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({ kind: 'divider' });
      });

      // [attack, expression, expected code, deadline override for heavy construction]
      const outputs: [string, string, ErrorCode, number?][] = [
        [
          'returning a cycle',
          '(function () { var n = { kind: "panel", children: [] }; n.children.push(n); return n; })()',
          'INVALID_OUTPUT',
        ],
        ['returning a function', 'function () { return 1; }', 'INVALID_OUTPUT'],
        [
          'returning a function in a binding',
          '{ kind: "button", label: "x", onClick: function () {} }',
          'INVALID_OUTPUT',
        ],
        [
          'returning a function after trying to remove the guard that refuses functions',
          '(function () { try { Object.defineProperty(Function.prototype, "toJSON", { value: undefined }); } catch (e) {} ' +
            'try { delete Function.prototype.toJSON; } catch (e) {} ' +
            'return { kind: "button", label: "x", onClick: function () {} }; })()',
          'INVALID_OUTPUT',
        ],
        ['returning a symbol', '{ kind: "text", text: Symbol("s") }', 'INVALID_OUTPUT'],
        ['returning a BigInt', '{ kind: "text", text: 10n }', 'INVALID_OUTPUT'],
        ['returning undefined', 'undefined', 'INVALID_OUTPUT'],
        ['returning a Promise', 'Promise.resolve({ kind: "divider" })', 'INVALID_OUTPUT'],
        ['a getter that loops', '{ kind: "text", get text() { while (true) {} } }', 'LIMIT_TIME'],
        [
          'toJSON that throws',
          '{ kind: "text", text: "x", toJSON: function () { throw new Error("no") } }',
          'INVALID_OUTPUT',
        ],
        [
          'a __proto__ key',
          'JSON.parse(\'{ "kind": "text", "text": "x", "__proto__": { "polluted": true } }\')',
          'INVALID_OUTPUT',
        ],
        [
          'a constructor key',
          '{ kind: "text", text: "x", constructor: { prototype: { polluted: true } } }',
          'INVALID_OUTPUT',
        ],
      ];
      for (const [name, expr, code, renderTimeoutMs = timeouts.renderTimeoutMs] of outputs) {
        it(name, async () => {
          const id = await load(armedPlugin('render', `return (${expr});`), {
            profile: 'strict',
            limits: { renderTimeoutMs },
          });
          await expectStopped(() => render(id, { attack: true }), {
            pluginId: id,
            op: 'render',
            code,
            deadlineMs: renderTimeoutMs,
          });
          expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
          await expectHealthy();
        });
      }

      // Huge structures are built at load (250 ms) and returned by render, so the render call
      // measures only what the host does with them. The render gets the host's longest deadline
      // so that the size limit, not the clock of a busy machine, is what stops it.
      const prebuilt: [string, string, ErrorCode][] = [
        [
          'a 100,000-deep array as a UI tree',
          '(function () { var a = []; for (var i = 0; i < 100000; i++) a = [a]; return a; })()',
          'OUTPUT_TOO_LARGE',
        ],
        [
          'an exponentially shared DAG',
          '(function () { var n = { kind: "divider" }; for (var i = 0; i < 40; i++) n = { kind: "row", children: [n, n] }; return n; })()',
          'OUTPUT_TOO_LARGE',
        ],
      ];
      for (const [name, expr, code] of prebuilt) {
        it(name, async () => {
          const source = `var built = ${expr};\n${armedPlugin('render', 'return built;')}`;
          const renderTimeoutMs = LIMIT_PROFILES.generous.renderTimeoutMs;
          const id = await load(source, {
            profile: 'strict',
            limits: { loadTimeoutMs: 250, renderTimeoutMs },
          });
          await client.health();
          await expectStopped(() => render(id, { attack: true }), {
            pluginId: id,
            op: 'render',
            code,
            deadlineMs: renderTimeoutMs,
          });
          expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
          await expectHealthy();
        });
      }

      it('a reducer returning a __proto__ key or a function-valued state', async () => {
        await attack(
          'reducer',
          'return JSON.parse(\'{ "__proto__": { "admin": true } }\');',
          'INVALID_OUTPUT',
        );
        await attack('reducer', 'return function () {};', 'INVALID_OUTPUT');
        await attack('reducer', 'return Promise.resolve(state);', 'INVALID_OUTPUT');
        expect(({} as Record<string, unknown>).admin).toBe(undefined);
      });

      it('a handler returning a Promise', () =>
        attack('handler', 'return Promise.resolve(1);', 'INVALID_OUTPUT'));

      it('probes of globalThis find no host objects', async () => {
        const id = await load(
          returning('{ kind: "text", text: JSON.stringify(Object.getOwnPropertyNames(globalThis)) }'),
        );
        const names = JSON.parse(((await render(id)).tree as { text: string }).text) as string[];
        for (const name of FORBIDDEN_GLOBALS) expect(names, `globalThis.${name}`).not.toContain(name);
        expect(names).toContain('definePlugin');
        const typeofs = await load(
          returning(
            '{ kind: "text", text: [typeof window, typeof fetch, typeof process, typeof require, typeof setTimeout, typeof WebAssembly, typeof XMLHttpRequest, typeof document].join() }',
          ),
        );
        expect((await render(typeofs)).tree).toEqual({
          kind: 'text',
          text: Array(8).fill('undefined').join(),
        });
      });

      it("this.constructor.constructor('return this')() yields only the VM's realm", async () => {
        const id = await load(
          returning(
            '(function () { var g = ctx.constructor.constructor("return this")(); return { kind: "text", text: [g === globalThis, typeof g.process, typeof g.definePlugin, typeof g.require].join() }; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'true,undefined,function,undefined' });
      });

      it("Function('return this')() yields only the VM's realm", async () => {
        const id = await load(
          returning(
            '(function () { var g = Function("return this")(); var h = (0, eval)("this"); return { kind: "text", text: [g === globalThis, h === globalThis, typeof g.fetch, typeof g.Buffer].join() }; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'true,true,undefined,undefined' });
      });

      it('Error.prepareStackTrace cannot reach the host', async () => {
        const before = (Error as unknown as { prepareStackTrace?: unknown }).prepareStackTrace;
        const id = await load(
          armedPlugin(
            'render',
            'Error.prepareStackTrace = function (e, frames) { return frames && frames[0] && frames[0].getThis ? String(typeof frames[0].getThis()) : "none"; }; throw new Error("probe");',
          ),
        );
        const error = await expectCode(render(id, { attack: true }), 'PLUGIN_THREW');
        expect(JSON.stringify(error.details)).not.toMatch(/process|require|node:/);
        expect((Error as unknown as { prepareStackTrace?: unknown }).prepareStackTrace).toBe(before);
        await expectHealthy();
      });

      it('Symbol tricks are invisible to the host', async () => {
        const id = await load(
          returning(
            '(function () { var o = { kind: "text", text: "x" }; o[Symbol.toPrimitive] = function () { while (true) {} }; o[Symbol.for("nodejs.util.inspect.custom")] = function () { return "pwned"; }; o[Symbol.iterator] = function () { while (true) {} }; return o; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'x' });
      });

      it('dynamic import() reaches nothing', async () => {
        const id = await load(
          armedPlugin(
            'render',
            'var r = "pending"; import("fs").then(function () { r = "loaded"; }, function () { r = "refused"; }); return { kind: "text", text: typeof r };',
          ),
        );
        const result = await render(id, { attack: true });
        expect(result.tree).toEqual({ kind: 'text', text: 'string' });
        await expectHealthy();
      });

      it('a huge state returned by a reducer', () =>
        attack('reducer', 'return { blob: "x".repeat(300000) };', 'OUTPUT_TOO_LARGE'));
    });

    // ------------------------------------------------------------------------------------------
    // The runtime's stack budget: a plugin's QuickJS stack is capped by what the host's thread
    // can carry (`health().maxStackBytes`); the cap is reported wherever the stack is, and a
    // load it lowers says what it asked for.
    describe('long native built-ins: bounded in the VM, so no call stalls its host', () => {
      // Natives that never ask the interrupt handler (issue 17). The bootstrap refuses array
      // loops over a length no array of the plugin's memory can have, with a RangeError a plugin
      // can catch, and runs long substring searches in windows the deadline can stop.
      const deadlineMs = LIMIT_PROFILES.strict.renderTimeoutMs;
      const sites: AttackSite[] = ['render', 'handler', 'reducer'];
      const armed = (site: AttackSite) =>
        site === 'render'
          ? (id: string) => render(id, { attack: true })
          : (id: string) => event(id, 'go', { attack: true });
      async function recovers(site: AttackSite, id: string): Promise<void> {
        await expectHealthy();
        if (site === 'render')
          expect((await render(id, { attack: false })).tree).toEqual({ kind: 'text', text: 'ok' });
        else expect((await event(id, 'go', { attack: false })).pluginState).toEqual({ attack: false, n: 1 });
      }

      for (const [i, [name, body]] of Object.entries(LONG_NATIVE_ATTACKS.refused).entries()) {
        const site = sites[i % sites.length]!;
        it(`${name} (${site}): PLUGIN_THREW at once, a RangeError naming the method and the bound`, async () => {
          const id = await load(armedPlugin(site, body), { profile: 'strict' });
          const started = clock.now();
          const error = await expectCode(armed(site)(id), 'PLUGIN_THREW');
          expect(clock.now() - started).toBeLessThanOrEqual(deadlineMs + stopMarginMs);
          expect(error.details).toMatchObject({ name: 'RangeError' });
          // 16 MiB (the strict profile) holds at most 2,097,152 elements of 8 bytes.
          expect((error.details as { message?: string }).message).toMatch(
            /^Array\.prototype\.\w+: length \d+ is past 2097152, more elements than the plugin's memory holds/,
          );
          await recovers(site, id);
        });
      }

      for (const [i, [name, body]] of Object.entries(LONG_NATIVE_ATTACKS.windowed).entries()) {
        const site = sites[i % sites.length]!;
        it(`${name} (${site}): LIMIT_TIME, stopped by the runtime at the deadline`, async () => {
          const id = await load(armedPlugin(site, body), { profile: 'strict' });
          await client.health();
          await expectStopped(() => armed(site)(id), {
            pluginId: id,
            op: site === 'render' ? 'render' : 'event',
            code: 'LIMIT_TIME',
            deadlineMs,
          });
          await recovers(site, id);
        });
      }

      it('a plugin cannot take the guards off with natives fished from stack frames', async () => {
        // quickjs-ng's call sites once returned each frame's function, the captured native too.
        const id = await load(
          armedPlugin(
            'render',
            'var native; Error.prepareStackTrace = function (e, frames) { for (var i = 0; i < frames.length; i++) { ' +
              'var f = frames[i].getFunction && frames[i].getFunction(); ' +
              'if (typeof f === "function" && f !== Array.prototype.sort && f.name === "sort") native = f; } return ""; }; ' +
              'try { [2, 1].sort(function () { throw new Error("x"); }); } catch (e) { e.stack; } ' +
              'if (native) Array.prototype.sort = native; ' +
              'var a = []; a.length = 4294967295; a.sort();',
          ),
          { profile: 'strict' },
        );
        const error = await expectCode(render(id, { attack: true }), 'PLUGIN_THREW');
        expect(error.details).toMatchObject({ name: 'RangeError' });
        await recovers('render', id);
      });

      it('ordinary sparse arrays, array-likes, proxies and searches work as they always did', async () => {
        const id = await load(
          returning(
            '(function () { var a = []; a[5000] = "x"; var p = new Proxy([3, 1, 2], {}); var h = "ab".repeat(10000) + "c", n = "ab".repeat(50) + "c"; ' +
              'return { kind: "text", text: [a.indexOf("x"), a.join("").length, Array.prototype.join.call({ length: 3, 1: "y" }, "-"), ' +
              'p.sort().join(""), h.indexOf(n), h.lastIndexOf(n), h.includes(n, 19901), String(a).length].join(" ") }; })()',
          ),
        );
        expect((await render(id)).tree).toEqual({
          kind: 'text',
          text: '5000 1 -y- 123 19900 19900 false 5001',
        });
      });

      it('a built-in still unbounded (normalize of a long combining run) fails LIMIT_TIME, late', async () => {
        // In-thread the call ends when the built-in does; worker hosts kill the thread at
        // deadline + grace. Either way the next call works.
        const id = await load(armedPlugin('render', LONG_NATIVE_ATTACKS.unbounded), { profile: 'strict' });
        await expectCode(render(id, { attack: true }), 'LIMIT_TIME');
        await recovers('render', id);
      });
    });

    describe('stack budget: every host grants the stack it reports, and reports what it lowers', () => {
      const KiB = 1024;
      const MIN_STACK = 16 * KiB;
      /** A render reporting how deep it could recurse before QuickJS refused to go deeper. */
      const DEPTH_PROBE = returning(
        '{ kind: "text", text: String((function d(n) { try { return d(n + 1); } catch (e) { return n; } })(0)) }',
      );
      const depthOf = async (pluginId: string): Promise<number> => {
        const { tree } = await render(pluginId);
        return Number((tree as { text: string }).text);
      };
      const callDiagnostic = (pluginId: string, op: string) =>
        waitForDiagnostic((d) => d.kind === 'call' && d.pluginId === pluginId && d.op === op);
      let maxStack: number;
      beforeAll(async () => {
        maxStack = (await client.health()).maxStackBytes;
      });
      const granted = (asked: number): number => Math.max(MIN_STACK, Math.min(asked, maxStack));

      it('health names the cap, and no plugin holds more than it (or the 16 KiB floor)', async () => {
        const health = await client.health();
        expect(health.maxStackBytes).toBeGreaterThan(0);
        expect(health.plugins.length).toBeGreaterThan(0);
        for (const plugin of health.plugins) {
          expect(plugin.limits.stackBytes).toBe(
            granted(plugin.requestedStackBytes ?? plugin.limits.stackBytes),
          );
          if (plugin.requestedStackBytes !== undefined) {
            expect(plugin.requestedStackBytes).toBeGreaterThan(plugin.limits.stackBytes);
          }
        }
      });

      it('a load asking for more than the cap says so: in its result, its diagnostics and health', async () => {
        const asked = 512 * KiB;
        const id = uid('stack-asks-more');
        const meta = await client.loadPlugin({
          pluginId: id,
          code: fixtures.counter,
          limits: { stackBytes: asked },
        });
        const expected = granted(asked);
        const lowered = expected < asked ? { requestedStackBytes: asked } : {};
        expect(validatePluginMeta(meta).ok).toBe(true);
        expect({ stackBytes: meta.stackBytes, requestedStackBytes: meta.requestedStackBytes }).toEqual({
          stackBytes: expected,
          requestedStackBytes: lowered.requestedStackBytes,
        });
        expect(await callDiagnostic(id, 'loadPlugin')).toMatchObject({ stackBytes: expected, ...lowered });
        const result = await render(id, { count: 1 });
        expect(result.diagnostics.find((d) => d.kind === 'call')).toMatchObject({
          stackBytes: expected,
          ...lowered,
        });
        const health = (await client.health()).plugins.find((p) => p.pluginId === id)!;
        expect(health.limits.stackBytes).toBe(expected);
        expect(health.requestedStackBytes).toBe(lowered.requestedStackBytes);
      });

      it('a load within the cap gets exactly what it asks, and no requestedStackBytes', async () => {
        const id = uid('stack-within');
        const meta = await client.loadPlugin({
          pluginId: id,
          code: fixtures.counter,
          limits: { stackBytes: MIN_STACK },
        });
        expect(meta.stackBytes).toBe(MIN_STACK);
        expect('requestedStackBytes' in meta).toBe(false);
        const loadDiagnostic = await callDiagnostic(id, 'loadPlugin');
        expect(loadDiagnostic).toMatchObject({ stackBytes: MIN_STACK });
        expect('requestedStackBytes' in loadDiagnostic).toBe(false);
        const events = await event(id, 'inc', { count: 1 });
        const call = events.diagnostics.find((d) => d.kind === 'call')!;
        expect(call).toMatchObject({ op: 'event', stackBytes: MIN_STACK });
        expect('requestedStackBytes' in call).toBe(false);
        const health = (await client.health()).plugins.find((p) => p.pluginId === id)!;
        expect('requestedStackBytes' in health).toBe(false);
      });

      it('the stack reported is the stack in force: a lowered plugin recurses as deep as one granted it', async () => {
        const lowered = await load(DEPTH_PROBE, { limits: { stackBytes: 512 * KiB } });
        const exact = await load(DEPTH_PROBE, { limits: { stackBytes: granted(512 * KiB) } });
        const smallest = await load(DEPTH_PROBE, { limits: { stackBytes: MIN_STACK } });
        const [deepLowered, deepExact, deepSmallest] = [
          await depthOf(lowered),
          await depthOf(exact),
          await depthOf(smallest),
        ];
        expect(deepSmallest).toBeGreaterThan(10);
        expect(Math.abs(deepLowered - deepExact)).toBeLessThanOrEqual(Math.ceil(deepExact * 0.05));
        // With at least twice the floor's stack, a plugin recurses markedly deeper than at the floor.
        if (granted(512 * KiB) >= 2 * MIN_STACK) expect(deepExact).toBeGreaterThan(deepSmallest * 1.5);
        await expectHealthy();
      });

      it('LIMIT_STACK names the stack the plugin was granted', async () => {
        const id = await load(armedPlugin('render', ATTACKS.deepRecursion), {
          limits: { stackBytes: 512 * KiB },
        });
        const error = await expectCode(render(id, { attack: true }), 'LIMIT_STACK');
        expect(error.details?.stackBytes).toBe(granted(512 * KiB));
        // Lowered by the host, the error says what was asked, so the author knows where to look.
        const lowered = granted(512 * KiB) < 512 * KiB;
        expect(error.details?.requestedStackBytes).toBe(lowered ? 512 * KiB : undefined);
        const topLevel = await expectCode(
          client.loadPlugin({
            pluginId: uid('stack-load'),
            code: ATTACKS.deepRecursion,
            limits: { stackBytes: 512 * KiB },
          }),
          'LIMIT_STACK',
        );
        expect(topLevel.details?.stackBytes).toBe(granted(512 * KiB));
        expect(topLevel.details?.requestedStackBytes).toBe(lowered ? 512 * KiB : undefined);
        await expectHealthy();
      });
    });

    describe('replaced built-ins: what a plugin does to the standard library never reaches the host', () => {
      // The plugin's top level breaks built-ins the bootstrap once called on every event.
      const broken = (sabotage: string) => `${sabotage}
definePlugin({
  initialState: { n: 0 },
  reducers: { add: function (state, by) { return { n: state.n + by }; } },
  widgets: { main: { render: function (ctx) { return { kind: "text", text: "n=" + ctx.pluginState.n }; } } },
  handlers: {
    go: function (ctx) { ctx.log("going", { n: ctx.pluginState.n }); ctx.dispatchPluginAction("add", 2); },
    boom: function () { throw new Error("m".repeat(3e6)); },
  },
});`;

      it('intents stay readable when Array.prototype.join and String.prototype.split/charAt lie', async () => {
        const id = await load(
          broken(`Array.prototype.join = function () { return "\\u001e{not json"; };
String.prototype.split = function () { return ["x"]; };
String.prototype.charAt = function () { return "g"; };`),
        );
        const result = await event(id, 'go', { n: 1 });
        expect(result.pluginState).toEqual({ n: 3 });
        expect(result.dispatches).toMatchObject([{ type: 'add', payload: 2, meta: { accepted: true } }]);
        await expectHealthy();
      });

      it('reducers are found when Function.prototype.call and Object.prototype.hasOwnProperty lie', async () => {
        const id = await load(
          broken(`Function.prototype.call = function () { return false; };
Object.prototype.hasOwnProperty = function () { return false; };`),
        );
        expect((await event(id, 'go', { n: 0 })).pluginState).toEqual({ n: 2 });
        await expectHealthy();
      });

      it('a thrown 3 MB message stays capped when String.prototype.slice returns its whole input', async () => {
        const id = await load(broken('String.prototype.slice = function () { return String(this); };'));
        const error = await expectCode(event(id, 'boom', { n: 0 }), 'PLUGIN_THREW');
        expect(error.message.length).toBeLessThanOrEqual(500);
        expect(JSON.stringify(error.details ?? {}).length).toBeLessThanOrEqual(5_000);
        await expectHealthy();
      });
    });

    describe('host re-checks: what leaves a VM is checked by host code, whatever the bootstrap claims', () => {
      /** The armed call fails with `code`; nothing leaked into the host; the plugin recovers. */
      async function refusedAndRecovered(
        site: AttackSite,
        body: string,
        code: ErrorCode,
      ): Promise<CorralError> {
        // Deadlines a loaded machine cannot miss: the limit under test is not the clock.
        const id = await load(armedPlugin(site, body), {
          limits: { renderTimeoutMs: 1000, eventTimeoutMs: 1000 },
        });
        const error = await expectCode(
          site === 'render' ? render(id, { attack: true }) : event(id, 'go', { attack: true }),
          code,
        );
        expect(({} as Record<string, unknown>).admin, 'the host prototype is untouched').toBe(undefined);
        if (site === 'render') expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
        else expect((await event(id, 'go', { attack: false })).pluginState).toEqual({ attack: false, n: 1 });
        await expectHealthy();
        return error;
      }
      const deep = (n: number, leaf = '0') => `"[".repeat(${n}) + ${JSON.stringify(leaf)} + "]".repeat(${n})`;

      it('forged __proto__ key: a payload text rewritten past the bootstrap to "\\u005f_proto__"', async () => {
        const error = await refusedAndRecovered(
          'handler',
          forgedPayloadText(`'{"ok":1,"\\\\u005f_proto__":{"admin":true}}'`),
          'INVALID_OUTPUT',
        );
        expect(error.details).toMatchObject({ path: '/__proto__' });
      });

      it('forged __proto__ key: JSON.parse-made keys in a state, a binding and a payload', async () => {
        const key = `JSON.parse('{"\\\\u005f\\\\u005fproto__":{"admin":true}}')`;
        await refusedAndRecovered('reducer', `return ${key};`, 'INVALID_OUTPUT');
        await refusedAndRecovered(
          'render',
          `return { kind: "button", label: "x", onClick: { handler: "go", args: [${key}] } };`,
          'INVALID_OUTPUT',
        );
        await refusedAndRecovered(
          'handler',
          `ctx.dispatchGlobalAction("notifications/add", { list: [${key}] }); return;`,
          'INVALID_OUTPUT',
        );
      });

      it('__proto__ is data as a value: a text, a state field, a payload', async () => {
        const id = await load(returning('{ kind: "text", text: ctx.pluginState.name }'));
        expect((await render(id, { name: '__proto__' })).tree).toEqual({ kind: 'text', text: '__proto__' });
        const handler = await load(
          armedPlugin(
            'handler',
            'ctx.dispatchGlobalAction("notifications/add", { name: "__proto__" }); return;',
          ),
        );
        const result = await event(handler, 'go', { attack: true, name: '__proto__' });
        expect(result.dispatches).toMatchObject([
          { payload: { name: '__proto__' }, meta: { accepted: true } },
        ]);
        const reducer = await load(
          armedPlugin('reducer', 'return { name: "__proto__", list: ["__proto__"] };'),
        );
        expect((await event(reducer, 'go', { attack: true })).pluginState).toEqual({
          name: '__proto__',
          list: ['__proto__'],
        });
      });

      it('__proto__ as a key of an incoming state is INVALID_STATE in any spelling', async () => {
        const id = await load(returning('{ kind: "text", text: "ok" }'));
        for (const text of ['{"__proto__":{"admin":true}}', '{"a":[{"\\u005f_proto__":{"admin":true}}]}']) {
          await expectCode(render(id, JSON.parse(text) as JSONValue), 'INVALID_STATE');
        }
        expect(({} as Record<string, unknown>).admin).toBe(undefined);
        expect((await render(id, { name: '__proto__' })).tree).toEqual({ kind: 'text', text: 'ok' });
      });

      it('deep nesting: a forged 20,000-deep payload is DISPATCH_LIMIT, not a host stack overflow', async () => {
        await refusedAndRecovered('handler', forgedPayloadText(deep(20_000)), 'DISPATCH_LIMIT');
        await refusedAndRecovered('handler', forgedPayloadText(deep(30_000, '{}')), 'DISPATCH_LIMIT');
      });

      it('deep nesting: a 20,000-deep state, binding args and incoming state', async () => {
        const built = '(function () { var a = 0; for (var i = 0; i < 20000; i++) a = [a]; return a; })()';
        await refusedAndRecovered('reducer', `return { deep: ${built} };`, 'OUTPUT_TOO_LARGE');
        await refusedAndRecovered(
          'render',
          `return { kind: "button", label: "x", onClick: { handler: "go", args: ${built} } };`,
          'OUTPUT_TOO_LARGE',
        );
        const id = await load(returning('{ kind: "text", text: "ok" }'));
        await expectCode(
          render(id, JSON.parse(`{"deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}`) as JSONValue),
          'INVALID_STATE',
        );
        expect((await render(id)).tree).toEqual({ kind: 'text', text: 'ok' });
      });

      it('forged failure report: a VM claiming INTERNAL, with 100-deep details, is INVALID_OUTPUT', async () => {
        const details =
          '(function () { var a = {}; for (var i = 0; i < 100; i++) a = { a: a }; return a; })()';
        const error = await refusedAndRecovered(
          'render',
          forgedFailureReport(`{ code: "INTERNAL", message: "forged", details: ${details} }`),
          'INVALID_OUTPUT',
        );
        expect(JSON.stringify(error.details ?? {}).length).toBeLessThanOrEqual(200);
        await refusedAndRecovered(
          'render',
          forgedFailureReport('{ code: "UNKNOWN_PLUGIN", message: { not: "a string" } }'),
          'INVALID_OUTPUT',
        );
        // The caller's fault, claimed by the plugin: the host parses the states itself.
        await refusedAndRecovered(
          'render',
          forgedFailureReport(
            '{ code: "INVALID_STATE", message: "your state is broken", details: { state: "globalState" } }',
          ),
          'INVALID_OUTPUT',
        );
      });

      it('forged throw report: a thrown error described with non-string parts is PLUGIN_THREW', async () => {
        const error = await refusedAndRecovered(
          'render',
          'Object.prototype.toJSON = function () { return "stack" in this || "name" in this ? ' +
            '{ name: 5, message: { deep: [[[1]]] }, stack: ["x"] } : this; }; throw new Error("boom");',
          'PLUGIN_THREW',
        );
        expect(error.message.length).toBeLessThanOrEqual(500);
      });

      it('ill-formed ids: pluginIds with lone surrogates are INVALID_REQUEST and alias nothing', async () => {
        for (const pluginId of ['r\ud800', 'r\udc00']) {
          const error = await expectCode(
            client.loadPlugin({ pluginId, code: fixtures.counter }),
            'INVALID_REQUEST',
          );
          expect(error.details).toMatchObject({ path: '/pluginId' });
          expect(error.message).toMatch(/pluginId is not well-formed Unicode/);
          await expectCode(render(pluginId), 'INVALID_REQUEST');
        }
        // U+FFFD, what both would have become as UTF-8, is an id like any other.
        const id = await load(fixtures.counter, { pluginId: uid('r\ufffd') });
        expect(JSON.stringify((await render(id, { count: 5 })).tree)).toContain('Count: 5');
        await expectHealthy();
      });

      it('ill-formed key fields: a widgetId or handler with a lone surrogate is INVALID_REQUEST', async () => {
        const id = await load(armedPlugin('handler', ''));
        const widget = await expectCode(render(id, {}, { widgetId: 'main\ud800' }), 'INVALID_REQUEST');
        expect(widget.details).toMatchObject({ path: '/widgetId' });
        const handler = await expectCode(event(id, 'go\udc00', { attack: false }), 'INVALID_REQUEST');
        expect(handler.details).toMatchObject({ path: '/handler' });
        expect(handler.message).toMatch(/handler is not well-formed Unicode/);
        expect((await event(id, 'go', { attack: false })).pluginState).toEqual({ attack: false, n: 1 });
        // The plugin's own names become the same keys: one that could never be called is refused.
        const named = returning('{ kind: "divider" }').replace(
          'main:',
          '"w\\ud800": { render: function () { return { kind: "divider" }; } }, main:',
        );
        const refused = await expectCode(
          client.loadPlugin({ pluginId: uid('ill-named'), code: named }),
          'INVALID_PLUGIN',
        );
        expect(refused.message).toMatch(/not well-formed Unicode/);
        await expectHealthy();
      });
    });
  });
}
