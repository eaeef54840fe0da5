/**
 * The harness drives a plugin as a user would, on the real runtime: each interaction's state,
 * dispatches and tree come from QuickJS, not from the harness.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPluginHarness } from '../src/index.js';

const todo = `definePlugin({
  title: 'Todo',
  initialState: { draft: '', todos: [] },
  reducers: {
    setDraft: (s, draft) => ({ ...s, draft }),
    add: (s) => (s.draft ? { draft: '', todos: [...s.todos, { text: s.draft, done: false }] } : s),
    toggle: (s, i) => ({ ...s, todos: s.todos.map((t, j) => (j === i ? { ...t, done: !t.done } : t)) }),
  },
  handlers: {
    share(ctx) { console.warn('sharing', ctx.pluginState.todos.length); ctx.dispatchGlobalAction('todo/shared', ctx.pluginState.todos); },
  },
  widgets: {
    main: {
      render: ({ pluginState }) => ({
        kind: 'column',
        children: [
          { kind: 'input', label: 'New todo', value: pluginState.draft, onChange: { handler: 'setDraft' }, onSubmit: { handler: 'add' } },
          { kind: 'list', children: pluginState.todos.map((t, i) => ({ kind: 'checkbox', label: t.text, checked: t.done, onChange: { handler: 'toggle', args: i } })) },
          { kind: 'button', label: 'Share', onClick: { handler: 'share' } },
          { kind: 'text', text: pluginState.todos.filter((t) => !t.done).length + ' left' },
        ],
      }),
    },
  },
});`;

describe('createPluginHarness', () => {
  it('types, submits and ticks a todo, seeing state, dispatches and the new tree', async () => {
    await using harness = await createPluginHarness(todo);
    const view = await harness.render();
    expect(view.texts()).toContain('0 left');

    const typed = await view.get({ role: 'textbox', name: 'New todo' }).input('milk');
    expect(typed.state).toEqual({ draft: 'milk', todos: [] });
    expect(typed.dispatches).toEqual([
      expect.objectContaining({
        type: 'setDraft',
        payload: 'milk',
        meta: expect.objectContaining({ scope: 'plugin', accepted: true }),
      }),
    ]);

    const added = await typed.view.get({ label: 'New todo' }).submit();
    expect(added.state).toEqual({ draft: '', todos: [{ text: 'milk', done: false }] });
    expect(added.view.get({ text: '1 left' }).node.kind).toBe('text');

    const ticked = await added.view.get({ role: 'checkbox', name: 'milk' }).click();
    expect(ticked.dispatches.map((d) => [d.type, d.payload])).toEqual([['toggle', 0]]);
    expect(ticked.view.get({ role: 'checkbox', name: 'milk' }).node).toMatchObject({ checked: true });
    expect(ticked.view.texts()).toContain('0 left');
    expect(harness.state).toEqual(ticked.state);
  });

  it('reports global dispatches and console lines of a handler', async () => {
    await using harness = await createPluginHarness(todo, { allowedGlobalActions: ['todo/shared'] });
    const shared = await (await harness.render()).get({ role: 'button', name: 'Share' }).click();
    expect(shared.dispatches).toEqual([
      expect.objectContaining({
        type: 'todo/shared',
        payload: [],
        meta: expect.objectContaining({ scope: 'global', accepted: true }),
      }),
    ]);
    expect(shared.logs).toEqual([expect.objectContaining({ level: 'warn', message: 'sharing 0' })]);
  });

  it('says what the tree holds when a node is not found, and what a node cannot do', async () => {
    await using harness = await createPluginHarness(todo);
    const view = await harness.render();
    expect(() => view.get({ role: 'button', name: 'Delete' })).toThrow(
      /No node with role 'button' named Delete in widget 'main'; it holds: group, textbox 'New todo', list, button 'Share', text '0 left'/,
    );
    expect(() => view.get({ text: '0 left' }).click()).toThrow('A text node cannot be clicked');
    expect(view.query({ text: /left$/ })).not.toBeNull();
  });

  it('renders from a given state and time, deterministically', async () => {
    const clock = `definePlugin({ widgets: { main: { refreshMs: 1000, render: (ctx) => ({ kind: 'text', text: new Date(ctx.now()).toISOString() + ' ' + Math.random() }) } } });`;
    await using harness = await createPluginHarness(clock, { now: Date.UTC(2026, 0, 1) });
    const first = await harness.render('main');
    expect(first.texts()[0]).toMatch(/^2026-01-01T00:00:00.000Z 0\.\d+$/);
    expect((await harness.render('main')).texts()).toEqual(first.texts());
    harness.now += 60_000;
    expect((await harness.render('main')).texts()[0]).toMatch(/^2026-01-01T00:01:00.000Z/);
  });

  it('loads a .tsx plugin from a path, bundling it first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-testkit-'));
    const path = join(dir, 'counter.tsx');
    writeFileSync(
      path,
      `definePlugin({ initialState: { n: 0 }, reducers: { inc: (s: { n: number }) => ({ n: s.n + 1 }) },
        widgets: { main: { render: ({ pluginState }) => <button label={'n=' + pluginState.n} onClick={{ handler: 'inc' }} /> } } });`,
    );
    await using harness = await createPluginHarness(path);
    const clicked = await (await harness.render()).get({ role: 'button' }).click();
    expect(clicked.view.tree).toEqual({ kind: 'button', label: 'n=1', onClick: { handler: 'inc' } });
  });

  it('a plugin that fails to load rejects with its typed error', async () => {
    await expect(createPluginHarness('window.x = 1')).rejects.toMatchObject({
      code: 'LOAD_FAILED',
      message: expect.stringContaining('no DOM'),
    });
  });

  it('holds a plugin to the deadline its limits set (the default is wide, for a busy machine)', async () => {
    const loop = `definePlugin({ widgets: { main: { render: () => { for (;;) {} } } } });`;
    await using harness = await createPluginHarness(loop, { limits: { renderTimeoutMs: 30 } });
    await expect(harness.render()).rejects.toMatchObject({
      code: 'LIMIT_TIME',
      message: 'The call overran its 30 ms deadline and was interrupted',
    });
  });
});
