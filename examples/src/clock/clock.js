// @ts-check
/// <reference types="@corral/plugin" />
/**
 * A clock. Plugins have no timers: `refreshMs` asks the host to render the widget again every
 * second, and each render reads the call's time from `now()`.
 */
/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');

definePlugin({
  title: 'Clock',
  widgets: {
    main: {
      title: 'Clock',
      refreshMs: 1000,
      render: ({ now }) => {
        const d = new Date(now());
        return {
          kind: 'panel',
          title: 'Clock',
          children: [
            {
              kind: 'heading',
              level: 2,
              text: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`,
            },
            { kind: 'text', tone: 'muted', text: 'Re-rendered by the host every second' },
          ],
        };
      },
    },
  },
});
