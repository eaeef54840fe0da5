// @ts-check
/// <reference types="@corral/plugin" />
/**
 * The todo list of todo.js, written as every plugin had to be before bindings could name a
 * reducer: a handler per reducer, each reading the event and dispatching the action. Kept to
 * show the difference (see README.md) and tested to behave exactly like todo.js.
 */

/** @typedef {{ id: number, text: string, done: boolean }} Item */
/** @typedef {{ draft: string, nextId: number, items: Item[] }} State */

/** @type {State} */
const initialState = {
  draft: '',
  nextId: 3,
  items: [
    { id: 1, text: 'Read the plugin API', done: true },
    { id: 2, text: 'Write a widget', done: false },
  ],
};

definePlugin({
  title: 'Todo list',
  initialState,
  reducers: {
    /** @param {State} s @param {{ text: string }} p */
    draft: (s, p) => ({ ...s, draft: p.text }),
    add: (s) => {
      const text = s.draft.trim();
      if (!text) return s;
      return { draft: '', nextId: s.nextId + 1, items: [...s.items, { id: s.nextId, text, done: false }] };
    },
    /** @param {State} s @param {{ id: number }} p */
    toggle: (s, p) => ({ ...s, items: s.items.map((i) => (i.id === p.id ? { ...i, done: !i.done } : i)) }),
    /** @param {State} s @param {{ id: number }} p */
    remove: (s, p) => ({ ...s, items: s.items.filter((i) => i.id !== p.id) }),
  },
  handlers: {
    onDraft: (ctx) => ctx.dispatchPluginAction('draft', { text: String(ctx.event.value) }),
    onAdd: (ctx) => ctx.dispatchPluginAction('add'),
    onToggle: (ctx) => ctx.dispatchPluginAction('toggle', { id: Number(ctx.event.args) }),
    onRemove: (ctx) => ctx.dispatchPluginAction('remove', { id: Number(ctx.event.args) }),
  },
  widgets: {
    main: {
      title: 'Todos',
      render: ({ pluginState: s }) => ({
        kind: 'panel',
        title: 'Todos',
        children: [
          {
            kind: 'row',
            gap: 'small',
            children: [
              {
                kind: 'input',
                label: 'New todo',
                placeholder: 'What needs doing?',
                value: s.draft,
                onChange: { handler: 'onDraft' },
                onSubmit: { handler: 'onAdd' },
              },
              { kind: 'button', label: 'Add', variant: 'primary', onClick: { handler: 'onAdd' } },
            ],
          },
          {
            kind: 'list',
            children: s.items.map((i) => ({
              kind: 'row',
              key: String(i.id),
              gap: 'small',
              children: [
                {
                  kind: 'checkbox',
                  label: i.text,
                  checked: i.done,
                  onChange: { handler: 'onToggle', args: i.id },
                },
                {
                  kind: 'button',
                  label: `Remove ${i.text}`,
                  variant: 'danger',
                  onClick: { handler: 'onRemove', args: i.id },
                },
              ],
            })),
          },
          {
            kind: 'text',
            tone: 'muted',
            text: `${s.items.filter((i) => !i.done).length} of ${s.items.length} left`,
          },
        ],
      }),
    },
  },
});
