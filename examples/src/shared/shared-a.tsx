/**
 * Plugin A of a pair sharing the host's global counter: its button asks the host for the global
 * action `counter/increment`, and both plugins render the host's count from `globalState`.
 */
interface Global {
  counter: number;
}

definePlugin<null, 'bump', Record<never, never>, Global>({
  title: 'Shared counter A',
  handlers: {
    bump: (ctx) => ctx.dispatchGlobalAction('counter/increment', { by: 1 }),
  },
  widgets: {
    main: {
      title: 'Shared counter A',
      render: ({ globalState }) => (
        <panel title="Shared counter A">
          <text>Shared count: {globalState.counter}</text>
          <button label="Increment shared (A)" onClick={{ handler: 'bump' }} />
        </panel>
      ),
    },
  },
});
