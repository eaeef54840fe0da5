/**
 * Results that cross as JSON text: the codec a worker's replies use, and `callJson`, which hands
 * a result's text over unparsed. What a caller sees must be exactly the contract's JSON.
 */
import { describe, expect, it } from 'vitest';
import { CorralError, type JSONObject, type RpcRequest, type RpcResponse } from '@corral/contracts';
import {
  createInProcessTransportPair,
  createSandboxClient,
  decodeOutbound,
  encodeOutbound,
  JsonText,
  type Transport,
} from '@corral/core';

describe('encodeOutbound / decodeOutbound', () => {
  it('writes exactly JSON.stringify of every message', () => {
    const messages = [
      { id: 7, ok: true, result: { tree: { kind: 'text', text: 'a "quoted" ,"ok":true,"result": text' } } },
      { id: 8, ok: true, result: null },
      { id: 'x', ok: true, result: { a: 1 } },
      { id: 9, ok: false, error: { code: 'LIMIT_TIME', message: 'm', details: { ok: true, result: 1 } } },
      {
        notification: 'log',
        log: { kind: 'log', pluginId: 'p', level: 'info', message: '{"id":1,"ok":true' },
      },
    ];
    for (const message of messages) expect(encodeOutbound(message)).toBe(JSON.stringify(message));
  });

  it('hands a success back with its result text unparsed, and parses everything else', () => {
    const result = { tree: { kind: 'text', text: '},"ok":true,"result":{' }, diagnostics: [] };
    const decoded = decodeOutbound(encodeOutbound({ id: 3, ok: true, result })) as RpcResponse & {
      result: JsonText;
    };
    expect(decoded.id).toBe(3);
    expect(decoded.result).toBeInstanceOf(JsonText);
    expect(decoded.result.text).toBe(JSON.stringify(result));
    const failure = {
      id: 4,
      ok: false,
      error: { code: 'UNKNOWN_PLUGIN', message: 'm', details: { ok: true } },
    };
    expect(decodeOutbound(encodeOutbound(failure))).toEqual(failure);
    expect(decodeOutbound(encodeOutbound({ id: 'x', ok: true, result: 1 }))).toEqual({
      id: 'x',
      ok: true,
      result: 1,
    });
  });
});

describe('callJson', () => {
  /** A scripted other side whose replies cross as text, like a worker's. */
  function textWorker(answer: (request: RpcRequest) => RpcResponse): Transport {
    const [clientSide, workerSide] = createInProcessTransportPair();
    workerSide.on((message) => workerSide.post(encodeOutbound(answer(message as RpcRequest))));
    return {
      ...clientSide,
      post: (message) => clientSide.post(message),
      on: (listener) => clientSide.on((text) => listener(decodeOutbound(text as string))),
    };
  }
  const tree = { kind: 'text', text: 'Hello "Ada"' };

  it('resolves with the result text byte for byte; render() still gets the value', async () => {
    const client = createSandboxClient(
      textWorker((r) => ({ id: r.id, ok: true, result: { tree, diagnostics: [] } }) as RpcResponse),
    );
    const params = { pluginId: 'p', widgetId: 'main', pluginState: {}, globalState: {} };
    expect(await client.callJson('render', params)).toBe(JSON.stringify({ tree, diagnostics: [] }));
    expect(await client.render(params)).toEqual({ tree, diagnostics: [] });
    await client.close();
  });

  it('over a transport that clones objects, gives the same text', async () => {
    const [clientSide, workerSide] = createInProcessTransportPair();
    workerSide.on((m) =>
      workerSide.post({ id: (m as RpcRequest).id, ok: true, result: { tree, diagnostics: [] } }),
    );
    const client = createSandboxClient(clientSide);
    const params = { pluginId: 'p', widgetId: 'main', pluginState: {}, globalState: {} };
    expect(await client.callJson('render', params)).toBe(JSON.stringify({ tree, diagnostics: [] }));
    await client.close();
  });

  it('fails with the typed error of the other side', async () => {
    const client = createSandboxClient(
      textWorker(
        (r) =>
          ({
            id: r.id,
            ok: false,
            error: { code: 'UNKNOWN_WIDGET', message: 'no widget', details: { widgetId: 'x' } },
          }) as RpcResponse,
      ),
    );
    const error = await client
      .callJson('event', {
        pluginId: 'p',
        widgetId: 'x',
        handler: 'h',
        event: { type: 'click' },
        pluginState: {},
        globalState: {},
      } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorralError);
    expect(error).toMatchObject({ code: 'UNKNOWN_WIDGET', message: 'no widget', details: { widgetId: 'x' } });
    await client.close();
  });
});

describe('a runtime result written from the VM text', () => {
  // The tree and the state leave the VM as JSON text; the reply reuses that text instead of
  // stringifying the parsed value again. It must still be exactly JSON.stringify of the result.
  const PLUGIN = `definePlugin({
    reducers: { set: function (s, p) { return { n: p.n, tricky: s.tricky }; } },
    widgets: { main: { render: function (ctx) { return { kind: "panel", children: [
      { kind: "text", text: ctx.pluginState.tricky },
      { kind: "button", label: "go", onClick: { handler: "go", args: { x: 1e21, y: -0, z: 0.1 + 0.2, w: 5e-7 } } }
    ] }; } } },
    handlers: { go: function (ctx) { ctx.dispatchPluginAction("set", { n: 1.5e-10 }); ctx.dispatchGlobalAction("g/x", "\\u2028"); } },
  });`;
  const tricky = 'quote " backslash \\ tab \t nul \u0000 ctrl \u001e line-sep \u2028 emoji 😀 é';

  it('render and event replies are byte for byte JSON.stringify of the result', async () => {
    const { createRuntime, resultJson } = await import('@corral/core');
    const variant = (await import('@jitl/quickjs-wasmfile-release-sync')).default;
    const runtime = await createRuntime({ variant, allowedGlobalActions: ['g/x'] });
    try {
      await runtime.loadPlugin({ pluginId: 'p', code: PLUGIN });
      const state = { n: 0, tricky };
      const base = { pluginId: 'p', widgetId: 'main', pluginState: state, globalState: {}, now: 1, seed: 2 };
      const rendered = await runtime.render(base);
      const handled = await runtime.event({ ...base, handler: 'go', event: { name: 'click' } });
      for (const result of [rendered, handled]) {
        expect(resultJson(result)).toBeDefined();
        const message = { id: 1, ok: true, result };
        expect(encodeOutbound(message)).toBe(JSON.stringify(message));
      }
      expect(handled.dispatches.map((d) => d.type)).toEqual(['set', 'g/x']);
    } finally {
      runtime.dispose();
    }
  });
});

describe('a render tree left for the host end of the worker wire to check', () => {
  const PLUGIN = `definePlugin({ widgets: { main: { render: function (ctx) {
    return ctx.pluginState.bad ? { kind: "text" } : { kind: "text", text: "n=" + ctx.pluginState.n };
  } } } });`;

  it('is not checked by the runtime, and is checked by decodeOutbound, which keeps text and value', async () => {
    const { createRuntime } = await import('@corral/core');
    const variant = (await import('@jitl/quickjs-wasmfile-release-sync')).default;
    const runtime = await createRuntime({ variant });
    try {
      await runtime.loadPlugin({ pluginId: 'p', code: PLUGIN });
      const params = (pluginState: JSONObject) => ({
        pluginId: 'p',
        widgetId: 'main',
        pluginState,
        globalState: {},
      });
      // Checked by the runtime: the invalid tree fails the call.
      const inThread = await runtime.render(params({ bad: true })).catch((e: unknown) => e);
      expect(inThread).toMatchObject({ code: 'INVALID_OUTPUT' });
      // Deferred: the call succeeds, its text says what to check, and the receiver fails it.
      const deferred = await runtime.render(params({ bad: true }), { deferTreeCheck: true });
      const text = encodeOutbound({ id: 5, ok: true, result: deferred });
      expect(text.startsWith('{"id":5,"ok":true,"check":{"widgetId":"main",')).toBe(true);
      expect(decodeOutbound(text)).toMatchObject({
        id: 5,
        ok: false,
        error: { code: 'INVALID_OUTPUT', details: { path: '' } },
      });
      // Read in the worker anyway, the tree is checked on the spot.
      expect(() => deferred.tree).toThrow(/invalid UI tree/);
      // A valid tree arrives as the result's exact text, with its value already parsed.
      const ok = await runtime.render(params({ n: 3 }), { deferTreeCheck: true });
      const decoded = decodeOutbound(encodeOutbound({ id: 6, ok: true, result: ok })) as {
        result: JsonText;
      };
      expect(decoded.result).toBeInstanceOf(JsonText);
      expect(JSON.parse(decoded.result.text)).toEqual(decoded.result.value);
      expect(decoded.result.value).toMatchObject({ tree: { kind: 'text', text: 'n=3' } });
      // A check the receiver cannot read is INTERNAL, not a pass.
      expect(decodeOutbound('{"id":7,"ok":true,"check":{"widgetId":1},"result":{"tree":{}}}')).toMatchObject({
        ok: false,
        error: { code: 'INTERNAL' },
      });
    } finally {
      runtime.dispose();
    }
  });
});
