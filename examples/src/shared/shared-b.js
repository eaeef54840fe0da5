// @ts-check
/// <reference types="@corral/plugin" />
/**
 * Plugin B of a pair sharing the host's global counter: its button asks the host for the global
 * action `counter/increment`, and both plugins render the host's count from `globalState`.
 */
definePlugin({
  title: 'Shared counter B',
  handlers: {
    bump: (ctx) => ctx.dispatchGlobalAction('counter/increment', { by: 1 }),
  },
  widgets: {
    main: {
      title: 'Shared counter B',
      render: ({ globalState }) => ({
        kind: 'panel',
        title: 'Shared counter B',
        children: [
          { kind: 'text', text: `Shared count: ${/** @type {{ counter: number }} */ (globalState).counter}` },
          { kind: 'button', label: 'Increment shared (B)', onClick: { handler: 'bump' } },
        ],
      }),
    },
  },
});
