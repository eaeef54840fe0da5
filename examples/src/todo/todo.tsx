/**
 * A todo list: a controlled input, checkboxes and per-item buttons. Every binding names a
 * reducer: the input's `change` runs `draft` with the typed text, a checkbox runs `toggle` with
 * its item's id (the binding's args). No handlers.
 */
interface Item {
  id: number;
  text: string;
  done: boolean;
}
interface State {
  draft: string;
  nextId: number;
  items: Item[];
}

const initialState: State = {
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
    draft: (s, text: string) => ({ ...s, draft: text }),
    add: (s) => {
      const text = s.draft.trim();
      if (!text) return s;
      return { draft: '', nextId: s.nextId + 1, items: [...s.items, { id: s.nextId, text, done: false }] };
    },
    toggle: (s, id: number) => ({
      ...s,
      items: s.items.map((i) => (i.id === id ? { ...i, done: !i.done } : i)),
    }),
    remove: (s, id: number) => ({ ...s, items: s.items.filter((i) => i.id !== id) }),
  },
  widgets: {
    main: {
      title: 'Todos',
      render: ({ pluginState: s }) => (
        <panel title="Todos">
          <row gap="small">
            <input
              label="New todo"
              placeholder="What needs doing?"
              value={s.draft}
              onChange={{ handler: 'draft' }}
              onSubmit={{ handler: 'add' }}
            />
            <button label="Add" variant="primary" onClick={{ handler: 'add' }} />
          </row>
          <list>
            {s.items.map((i) => (
              <row key={i.id} gap="small">
                <checkbox label={i.text} checked={i.done} onChange={{ handler: 'toggle', args: i.id }} />
                <button
                  label={`Remove ${i.text}`}
                  variant="danger"
                  onClick={{ handler: 'remove', args: i.id }}
                />
              </row>
            ))}
          </list>
          <text tone="muted">
            {s.items.filter((i) => !i.done).length} of {s.items.length} left
          </text>
        </panel>
      ),
    },
  },
});
