/**
 * Valid and invalid examples for every root type of the contract. Each invalid example names
 * the path its first issue must point at, so a test fails if a schema stops catching it.
 */
import type { ROOT_TYPES } from '../scripts/root-types.js';

export type RootType = (typeof ROOT_TYPES)[number];

export interface Invalid {
  value: unknown;
  /** The JSON pointer the first issue must name. */
  path: string;
}

const tree = {
  kind: 'panel',
  title: 'Counter',
  children: [
    { kind: 'heading', text: 'Hi', level: 2 },
    { kind: 'text', text: 'Count: 1', tone: 'muted' },
    {
      kind: 'row',
      gap: 'small',
      children: [{ kind: 'badge', text: 'new', tone: 'success' }, { kind: 'divider' }],
    },
    { kind: 'column', children: [] },
    {
      kind: 'button',
      key: 'inc',
      label: '+1',
      onClick: { handler: 'inc', args: { by: 1 } },
      variant: 'primary',
    },
    {
      kind: 'input',
      value: 'x',
      label: 'Name',
      placeholder: 'type',
      inputType: 'text',
      onChange: { handler: 'set' },
    },
    { kind: 'checkbox', checked: true, label: 'Done', onChange: { handler: 'toggle' } },
    { kind: 'select', value: 'a', options: [{ value: 'a', label: 'A' }], onChange: { handler: 'pick' } },
    { kind: 'list', ordered: true, children: [{ kind: 'text', text: 'one' }] },
    { kind: 'table', columns: ['a', 'b'], rows: [['x', 1]] },
  ],
};

const meta = {
  pluginId: 'counter',
  title: 'Counter',
  widgets: [{ id: 'main', title: 'Counter', refreshMs: 1000 }],
  handlers: ['inc'],
  reducers: ['increment'],
  initialState: { count: 0 },
};

const dispatch = {
  type: 'increment',
  payload: { by: 1 },
  meta: {
    dispatchId: '6f1c1c9e-8a57-4a43-9d59-0c1c6b0f3d1a',
    scope: 'plugin',
    pluginId: 'counter',
    ts: 1700000000000,
    source: 'in-thread',
    accepted: true,
  },
};

const limits = {
  memoryBytes: 16777216,
  stackBytes: 262144,
  loadTimeoutMs: 100,
  renderTimeoutMs: 30,
  eventTimeoutMs: 30,
  maxPendingJobs: 1000,
  maxCodeBytes: 262144,
  maxStateBytes: 262144,
  maxOutputBytes: 262144,
  maxOutputNodes: 2000,
  maxOutputDepth: 32,
  maxDispatchesPerEvent: 16,
  maxPayloadBytes: 16384,
  maxLogsPerCall: 20,
  maxLogBytes: 1024,
};

const callDiagnostic = {
  kind: 'call',
  pluginId: 'counter',
  op: 'render',
  elapsedMs: 0.3,
  interrupted: false,
  memoryError: false,
  now: 1700000000000,
  seed: 42,
  stackBytes: 31488,
  requestedStackBytes: 393216,
};

export const VALID: Record<RootType, unknown[]> = {
  JSONValue: [null, true, 0, 'x', [], {}, { a: [1, { b: null }] }],
  UINode: [tree, { kind: 'divider' }, { kind: 'text', text: '' }],
  EventBinding: [{ handler: 'inc' }, { handler: 'inc', args: [1, 'a'] }],
  PluginEvent: [{ name: 'click' }, { name: 'change', value: 3 }, { name: 'submit', value: 'x', args: null }],
  DispatchIntent: [
    { scope: 'plugin', type: 'increment', payload: { by: 1 } },
    { scope: 'global', type: 'x' },
  ],
  Dispatch: [dispatch, { ...dispatch, meta: { ...dispatch.meta, accepted: false, reason: 'not allowed' } }],
  PluginMeta: [meta],
  RuntimeLimits: [limits],
  RuntimeLimitsOverride: [{}, { memoryBytes: 2097152 }],
  RuntimeError: [
    { code: 'LIMIT_TIME', message: 'slow' },
    { code: 'INVALID_REQUEST', message: 'x', details: { path: '/a' } },
  ],
  LoadPluginParams: [
    { pluginId: 'p', code: 'definePlugin({})' },
    { pluginId: 'p', code: '', profile: 'strict', limits: { eventTimeoutMs: 10 } },
  ],
  RenderParams: [{ pluginId: 'p', widgetId: 'main', pluginState: {}, globalState: null, now: 1, seed: 7 }],
  EventParams: [
    {
      pluginId: 'p',
      widgetId: 'main',
      handler: 'inc',
      event: { name: 'click' },
      pluginState: 1,
      globalState: {},
    },
  ],
  DisposePluginParams: [{ pluginId: 'p' }],
  RpcRequest: [
    { id: 1, op: 'loadPlugin', params: { pluginId: 'p', code: 'x' } },
    { id: 'a', op: 'render', params: { pluginId: 'p', widgetId: 'main', pluginState: {}, globalState: {} } },
    {
      id: 2,
      op: 'event',
      params: {
        pluginId: 'p',
        widgetId: 'w',
        handler: 'h',
        event: { name: 'click' },
        pluginState: {},
        globalState: {},
      },
    },
    { id: 3, op: 'disposePlugin', params: { pluginId: 'p' } },
    { id: 4, op: 'health', params: {} },
  ],
  RpcResponse: [
    { id: 1, ok: true, result: meta },
    { id: 2, ok: true, result: { tree, diagnostics: [callDiagnostic] } },
    { id: 3, ok: true, result: null },
    { id: null, ok: false, error: { code: 'INVALID_REQUEST', message: 'no id' } },
  ],
  RpcNotification: [
    { notification: 'log', log: { kind: 'log', pluginId: 'p', level: 'info', message: 'hi' } },
    { notification: 'diagnostic', diagnostic: callDiagnostic },
  ],
  RenderResult: [{ tree, diagnostics: [] }],
  EventResult: [{ pluginState: { count: 1 }, dispatches: [dispatch], diagnostics: [callDiagnostic] }],
  HealthResult: [
    {
      source: 'node-worker',
      engine: 'quickjs',
      heapBytes: 16777216,
      moduleRestarts: 0,
      maxStackBytes: 31488,
      plugins: [{ pluginId: 'p', status: 'ready', memoryBytes: 90000, recentFailures: 0, limits }],
    },
  ],
  Diagnostic: [
    callDiagnostic,
    { kind: 'dispatch', dispatchId: 'x', pluginId: 'p', scope: 'global', type: 't', accepted: false },
    { kind: 'log', pluginId: 'p', level: 'warn', message: 'careful' },
    { ...callDiagnostic, placement: 'server', placementReason: 'requires secrets' },
    {
      kind: 'divergence',
      pluginId: 'p',
      op: 'event',
      fields: ['pluginState', 'dispatches'],
      adopted: 'server',
    },
  ],
  SessionRecording: [
    {
      version: 1,
      recordedAt: '2026-12-07T08:00:00.000Z',
      plugins: [{ pluginId: 'counter', codeSha256: 'a'.repeat(64), code: 'definePlugin({})' }],
      calls: [
        {
          op: 'render',
          params: {
            pluginId: 'counter',
            widgetId: 'main',
            pluginState: {},
            globalState: {},
            now: 1,
            seed: 2,
          },
          tree,
          placement: 'local',
        },
        {
          op: 'event',
          params: {
            pluginId: 'counter',
            widgetId: 'main',
            handler: 'inc',
            event: { name: 'click' },
            pluginState: { count: 0 },
            globalState: {},
            now: 1,
            seed: 2,
          },
          pluginState: { count: 1 },
          dispatches: [dispatch],
        },
        {
          op: 'event',
          params: {
            pluginId: 'counter',
            widgetId: 'main',
            handler: 'boom',
            event: { name: 'click' },
            pluginState: {},
            globalState: {},
          },
          error: { code: 'PLUGIN_THREW', message: 'x' },
        },
      ],
    },
  ],
};

export const INVALID: Record<RootType, Invalid[]> = {
  JSONValue: [
    { value: { a: undefined, b: () => 1 }, path: '/b' },
    { value: [1n], path: '/0' },
  ],
  UINode: [
    {
      value: {
        kind: 'panel',
        children: [
          { kind: 'text', text: 'a' },
          { kind: 'button', label: 3, onClick: { handler: 'x' } },
        ],
      },
      path: '/children/1/label',
    },
    { value: { kind: 'script', src: 'x.js' }, path: '' },
    { value: { kind: 'text', text: 'a', style: 'color:red' }, path: '' },
    { value: { kind: 'button', label: 'x', onClick: 'alert(1)' }, path: '/onClick' },
    { value: { kind: 'heading', text: 'x', level: 4 }, path: '/level' },
    { value: { kind: 'table', columns: ['a'], rows: [[{}]] }, path: '/rows/0/0' },
  ],
  EventBinding: [
    { value: { handler: 1 }, path: '/handler' },
    { value: { handler: 'x', fn: 'y' }, path: '' },
  ],
  PluginEvent: [
    { value: { name: 'hover' }, path: '/name' },
    { value: { name: 'change', value: {} }, path: '/value' },
  ],
  DispatchIntent: [
    { value: { scope: 'world', type: 'x' }, path: '/scope' },
    { value: { scope: 'plugin' }, path: '' },
  ],
  Dispatch: [{ value: { type: 'x', meta: { ...dispatch.meta, source: 'moon' } }, path: '/meta/source' }],
  PluginMeta: [
    {
      value: { ...meta, widgets: [{ id: 'main', title: 'x', refreshMs: 10 }] },
      path: '/widgets/0/refreshMs',
    },
  ],
  RuntimeLimits: [
    { value: { ...limits, memoryBytes: 'lots' }, path: '/memoryBytes' },
    { value: { memoryBytes: 2097152 }, path: '' },
  ],
  RuntimeLimitsOverride: [
    { value: { memoryBytes: 10 }, path: '/memoryBytes' },
    { value: { cpu: 1 }, path: '' },
  ],
  RuntimeError: [
    { value: { code: 'OOPS', message: 'x' }, path: '/code' },
    { value: { code: 'INTERNAL' }, path: '' },
  ],
  LoadPluginParams: [
    { value: { pluginId: '', code: 'x' }, path: '/pluginId' },
    { value: { pluginId: 'p', code: 'x', profile: 'max' }, path: '/profile' },
  ],
  RenderParams: [
    { value: { pluginId: 'p', widgetId: 'w', pluginState: {}, globalState: {}, seed: -1 }, path: '/seed' },
  ],
  EventParams: [
    {
      value: {
        pluginId: 'p',
        widgetId: 'w',
        handler: 'h',
        event: { name: 'tap' },
        pluginState: {},
        globalState: {},
      },
      path: '/event/name',
    },
  ],
  DisposePluginParams: [{ value: {}, path: '' }],
  RpcRequest: [
    { value: { id: 1, op: 'exec', params: {} }, path: '' },
    { value: { id: {}, op: 'health', params: {} }, path: '/id' },
    {
      value: { id: 1, op: 'render', params: { pluginId: 'p', widgetId: 'w', pluginState: {} } },
      path: '/params',
    },
  ],
  RpcResponse: [{ value: { id: 1, ok: true }, path: '' }],
  RpcNotification: [
    {
      value: { notification: 'log', log: { kind: 'log', pluginId: 'p', level: 'loud', message: 'x' } },
      path: '/log/level',
    },
  ],
  RenderResult: [{ value: { tree: { kind: 'nope' }, diagnostics: [] }, path: '/tree' }],
  EventResult: [{ value: { pluginState: {}, dispatches: [{}], diagnostics: [] }, path: '/dispatches/0' }],
  HealthResult: [
    {
      value: { source: 'x', engine: 'q', heapBytes: 1, moduleRestarts: 0, maxStackBytes: 1, plugins: [] },
      path: '/source',
    },
  ],
  Diagnostic: [
    {
      value: {
        kind: 'call',
        pluginId: 'p',
        op: 'render',
        elapsedMs: 'fast',
        interrupted: false,
        memoryError: false,
        stackBytes: 16384,
      },
      path: '/elapsedMs',
    },
    {
      value: { kind: 'divergence', pluginId: 'p', op: 'event', fields: ['everything'], adopted: 'server' },
      path: '/fields/0',
    },
  ],
  SessionRecording: [
    { value: { version: 2, plugins: [], calls: [] }, path: '/version' },
    {
      value: { version: 1, plugins: [{ pluginId: 'p', codeSha256: 'nothex', code: '' }], calls: [] },
      path: '/plugins/0/codeSha256',
    },
    {
      value: { version: 1, plugins: [], calls: [{ op: 'load', params: {} }] },
      path: '/calls/0',
    },
  ],
};
