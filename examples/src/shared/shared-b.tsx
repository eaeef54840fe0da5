/**
 * Plugin B of a pair sharing the host's global counter: its button asks the host for the global
 * action `counter/increment`, and both plugins render the host's count from `globalState`.
 */
interface Global {
  counter: number;
}

definePlugin<null, 'bump', Record<never, never>, Global>({
  title: 'Shared counter B',
  handlers: {
    bump: (ctx) => ctx.dispatchGlobalAction('counter/increment', { by: 1 }),
  },
  widgets: {
    main: {
      title: 'Shared counter B',
      render: ({ globalState }) => (
        <panel title="Shared counter B">
          <text>Shared count: {globalState.counter}</text>
          <button label="Increment shared (B)" onClick={{ handler: 'bump' }} />
        </panel>
      ),
    },
  },
});
