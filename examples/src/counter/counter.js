// @ts-check
/// <reference types="@corral/plugin" />
/**
 * A counter. Each button names a reducer directly: the runtime runs it with the binding's args
 * as payload, so there is no handler to write.
 */
const initialState = { count: 0 };

definePlugin({
  title: 'Counter',
  initialState,
  reducers: {
    /** @param {{ count: number }} state @param {number} by */
    add: (state, by) => ({ count: state.count + by }),
    reset: () => initialState,
  },
  widgets: {
    main: {
      title: 'Counter',
      render: ({ pluginState }) => ({
        kind: 'panel',
        title: 'Counter',
        children: [
          { kind: 'text', text: `Count: ${pluginState.count}` },
          {
            kind: 'row',
            gap: 'small',
            children: [
              { kind: 'button', label: '-1', onClick: { handler: 'add', args: -1 } },
              { kind: 'button', label: '+1', variant: 'primary', onClick: { handler: 'add', args: 1 } },
              {
                kind: 'button',
                label: 'Reset',
                onClick: { handler: 'reset' },
                disabled: pluginState.count === 0,
              },
            ],
          },
        ],
      }),
    },
  },
});
