/**
 * What a plugin author meets first: `console` forwarding to the call's log, errors that say
 * where (line and column) and what to use instead of a missing global, and bindings that name
 * a reducer directly. Real QuickJS, both variants.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import quickjsNg from '@jitl/quickjs-ng-wasmfile-release-sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorralError, type LogDiagnostic } from '@corral/contracts';
import { createRuntime, type Runtime } from '../src/index.js';

const variants = [
  ['quickjs', quickjs],
  ['quickjs-ng', quickjsNg],
] as const;

describe.each(variants)('plugin authoring on %s', (_name, variant) => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createRuntime({ variant });
  });
  afterAll(() => runtime.dispose());

  async function loadError(code: string): Promise<CorralError> {
    try {
      await runtime.loadPlugin({ pluginId: 'bad', code });
    } catch (error) {
      return CorralError.fromUnknown(error);
    }
    throw new Error('the load succeeded');
  }

  async function renderError(body: string): Promise<CorralError> {
    await runtime.loadPlugin({
      pluginId: 'r',
      code: `definePlugin({ widgets: { main: { render() {\n${body}\n} } } });`,
    });
    try {
      await runtime.render({ pluginId: 'r', widgetId: 'main', pluginState: null, globalState: null });
    } catch (error) {
      return CorralError.fromUnknown(error);
    }
    throw new Error('the render succeeded');
  }

  it('console.* goes to the call log with its level, like ctx.log', async () => {
    await runtime.loadPlugin({
      pluginId: 'c',
      code: `definePlugin({ widgets: { main: { render(ctx) {
        console.log('a', { n: 1 }); console.info('b'); console.debug('c'); console.warn('d');
        console.error('e'); ctx.log.warn('f');
        return { kind: 'divider' };
      } } } });`,
    });
    const result = await runtime.render({
      pluginId: 'c',
      widgetId: 'main',
      pluginState: null,
      globalState: null,
    });
    const logs = result.diagnostics
      .filter((d): d is LogDiagnostic => d.kind === 'log')
      .map((d) => [d.level, d.message]);
    expect(logs).toEqual([
      ['info', 'a {"n":1}'],
      ['info', 'b'],
      ['debug', 'c'],
      ['warn', 'd'],
      ['error', 'e'],
      ['warn', 'f'],
    ]);
  });

  it('console at the top level does not fail the load', async () => {
    const meta = await runtime.loadPlugin({
      pluginId: 'top',
      code: `console.log('loading'); definePlugin({ widgets: { main: { render: () => ({ kind: 'divider' }) } } });`,
    });
    expect(meta.widgets.map((w) => w.id)).toEqual(['main']);
  });

  it('a syntax error says where, in the message and as line/column details', async () => {
    const error = await loadError('var a = 1;\nvar b = ;\n');
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toMatch(/^Loading the plugin failed: SyntaxError: .+ \(plugin\.js:2:\d+\)$/);
    expect(error.details).toMatchObject({ line: 2, column: expect.any(Number) });
  });

  it.each([
    ['window', /no DOM: return a UI tree from render/],
    ['document', /no DOM/],
    ['fetch', /no network: .*globalState.*dispatchGlobalAction/],
    ['setTimeout', /no timers: give the widget a refreshMs .*ctx\.now\(\)/],
    ['setInterval', /no timers/],
    ['require', /bundle its imports on the host \(`corral build`\)/],
    ['localStorage', /keeps its data in its state/],
  ])('using %s at load says what to use instead, at its line', async (name, hint) => {
    const error = await loadError(`\n\n${name}.x = 1;`);
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toMatch(
      new RegExp(`ReferenceError: '?${name}'? is not defined \\(plugin\\.js:3:1\\); `),
    );
    expect(error.message).toMatch(hint);
    expect(error.details).toMatchObject({ line: 3, column: 1, hint: expect.stringMatching(hint) });
  });

  // quickjs-ng reports the frame of the function that threw (line 1 here), quickjs the statement.
  it('a missing global inside render gets the same hint, with its position', async () => {
    const error = await renderError('return setTimeout(() => {}, 10);');
    expect(error.code).toBe('PLUGIN_THREW');
    expect(error.message).toMatch(
      /setTimeout'? is not defined \(plugin\.js:[12]:\d+\); a plugin has no timers/,
    );
    expect(error.details).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  });

  it('a tree with a node kind that does not exist names it, the allowed kinds and its path', async () => {
    const error = await renderError("return { kind: 'column', children: [{ kind: 'html', text: '<b>' }] };");
    expect(error.code).toBe('INVALID_OUTPUT');
    expect(error.message).toMatch(
      /^Widget 'main' rendered an invalid UI tree: \/children\/0: kind 'html' is not a UINode kind; expected one of panel, row, column, text, .*divider$/,
    );
    expect(error.details).toMatchObject({ path: '/children/0' });
  });

  it('an ordinary ReferenceError gets its position but no hint', async () => {
    const error = await loadError('nope();');
    expect(error.message).toMatch(/nope'? is not defined \(plugin\.js:1:1\)$/);
    expect(error.details?.hint).toBeUndefined();
  });

  describe('a binding that names a reducer', () => {
    const todo = `definePlugin({
      initialState: { draft: '', todos: [] },
      reducers: {
        setDraft: (s, draft) => ({ ...s, draft }),
        add: (s) => ({ draft: '', todos: [...s.todos, { text: s.draft, done: false }] }),
        toggle: (s, i) => ({ ...s, todos: s.todos.map((t, j) => (j === i ? { ...t, done: !t.done } : t)) }),
      },
      handlers: { add(ctx) { ctx.dispatchPluginAction('add'); ctx.dispatchGlobalAction('todo/added'); } },
      widgets: { main: { render: () => ({ kind: 'divider' }) } },
    });`;
    const base = { pluginId: 'todo', widgetId: 'main', globalState: null } as const;

    it('is accepted as an event handler name; the metadata lists declared handlers only', async () => {
      const meta = await runtime.loadPlugin({ pluginId: 'todo', code: todo });
      expect(meta.handlers).toEqual(['add']);
      expect(meta.reducers).toEqual(['setDraft', 'add', 'toggle']);
      await expect(
        runtime.event({ ...base, handler: 'nope', event: { name: 'click' }, pluginState: meta.initialState }),
      ).rejects.toMatchObject({
        code: 'UNKNOWN_HANDLER',
        message: "Plugin 'todo' has no handler or reducer 'nope'",
      });
    });

    it('runs the reducer with the event value as payload, as a stamped dispatch', async () => {
      const result = await runtime.event({
        ...base,
        handler: 'setDraft',
        event: { name: 'change', value: 'milk' },
        pluginState: { draft: '', todos: [] },
      });
      expect(result.pluginState).toEqual({ draft: 'milk', todos: [] });
      expect(result.dispatches).toEqual([
        {
          type: 'setDraft',
          payload: 'milk',
          meta: expect.objectContaining({ scope: 'plugin', accepted: true, dispatchId: expect.any(String) }),
        },
      ]);
    });

    it("passes the binding's args in preference to the event value", async () => {
      const result = await runtime.event({
        ...base,
        handler: 'toggle',
        event: { name: 'change', args: 1, value: true },
        pluginState: {
          draft: '',
          todos: [
            { text: 'a', done: false },
            { text: 'b', done: false },
          ],
        },
      });
      expect(result.pluginState).toEqual({
        draft: '',
        todos: [
          { text: 'a', done: false },
          { text: 'b', done: true },
        ],
      });
      expect(result.dispatches.map((d) => d.payload)).toEqual([1]);
    });

    it('a declared handler of the same name still wins', async () => {
      const result = await runtime.event({
        ...base,
        handler: 'add',
        event: { name: 'click' },
        pluginState: { draft: 'x', todos: [] },
      });
      expect(result.pluginState).toEqual({ draft: '', todos: [{ text: 'x', done: false }] });
      expect(result.dispatches.map((d) => [d.meta.scope, d.type])).toEqual([
        ['plugin', 'add'],
        ['global', 'todo/added'],
      ]);
    });
  });
});
