// @ts-check
/// <reference types="@corral/plugin" />
/**
 * A todo list: a controlled input, checkboxes and per-item buttons. Every binding names a
 * reducer: the input's `change` runs `draft` with the typed text, a checkbox runs `toggle` with
 * its item's id (the binding's args). No handlers.
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
    /** @param {State} s @param {string} text */
    draft: (s, text) => ({ ...s, draft: text }),
    add: (s) => {
      const text = s.draft.trim();
      if (!text) return s;
      return { draft: '', nextId: s.nextId + 1, items: [...s.items, { id: s.nextId, text, done: false }] };
    },
    /** @param {State} s @param {number} id */
    toggle: (s, id) => ({ ...s, items: s.items.map((i) => (i.id === id ? { ...i, done: !i.done } : i)) }),
    /** @param {State} s @param {number} id */
    remove: (s, id) => ({ ...s, items: s.items.filter((i) => i.id !== id) }),
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
                onChange: { handler: 'draft' },
                onSubmit: { handler: 'add' },
              },
              { kind: 'button', label: 'Add', variant: 'primary', onClick: { handler: 'add' } },
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
                  onChange: { handler: 'toggle', args: i.id },
                },
                {
                  kind: 'button',
                  label: `Remove ${i.text}`,
                  variant: 'danger',
                  onClick: { handler: 'remove', args: i.id },
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
