/**
 * A counter. Each button names a reducer directly: the runtime runs it with the binding's args
 * as payload, so there is no handler to write.
 */
interface State {
  count: number;
}

const initialState: State = { count: 0 };

definePlugin({
  title: 'Counter',
  initialState,
  reducers: {
    add: (state, by: number) => ({ count: state.count + by }),
    reset: () => initialState,
  },
  widgets: {
    main: {
      title: 'Counter',
      render: ({ pluginState }) => (
        <panel title="Counter">
          <text>Count: {pluginState.count}</text>
          <row gap="small">
            <button label="-1" onClick={{ handler: 'add', args: -1 }} />
            <button label="+1" variant="primary" onClick={{ handler: 'add', args: 1 }} />
            <button label="Reset" onClick={{ handler: 'reset' }} disabled={pluginState.count === 0} />
          </row>
        </panel>
      ),
    },
  },
});
