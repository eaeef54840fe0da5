/**
 * A clock. Plugins have no timers: `refreshMs` asks the host to render the widget again every
 * second, and each render reads the call's time from `now()`.
 */
const pad = (n: number): string => String(n).padStart(2, '0');

definePlugin({
  title: 'Clock',
  widgets: {
    main: {
      title: 'Clock',
      refreshMs: 1000,
      render: ({ now }) => {
        const d = new Date(now());
        return (
          <panel title="Clock">
            <heading level={2}>
              {pad(d.getUTCHours())}:{pad(d.getUTCMinutes())}:{pad(d.getUTCSeconds())} UTC
            </heading>
            <text tone="muted">Re-rendered by the host every second</text>
          </panel>
        );
      },
    },
  },
});
