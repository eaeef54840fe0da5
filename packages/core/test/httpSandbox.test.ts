/**
 * createHttpSandbox's own behaviour, against a scripted `fetch` (the real server runs it in
 * apps/server's tests): how HTTP-level failures become contract codes, notifications, the
 * one-batch re-load after UNKNOWN_PLUGIN, re-sending what no replica answered, headers, and close.
 */
import { describe, expect, it } from 'vitest';
import { CorralError, type RpcRequest } from '@corral/contracts';
import { createHttpSandbox, type HttpSandboxOptions } from '@corral/core';
import { createFakeClock } from '@corral/core/testing';

type Script = (body: unknown, init: RequestInit) => Response | Promise<Response>;

function scripted(script: Script, options: Omit<HttpSandboxOptions, 'baseUrl' | 'fetch'> = {}) {
  const sent: { body: unknown; headers: Record<string, string> }[] = [];
  const fetch: typeof globalThis.fetch = async (_url, init = {}) => {
    const body: unknown = JSON.parse(String(init.body));
    sent.push({ body, headers: init.headers as Record<string, string> });
    return script(body, init);
  };
  const client = createHttpSandbox({ baseUrl: 'http://corral.test/', apiKey: 'k', ...options, fetch });
  return { client, sent };
}

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
const ok = (body: unknown, result: unknown) => json({ id: (body as RpcRequest).id, ok: true, result });
const renderParams = { pluginId: 'p', widgetId: 'main', pluginState: {}, globalState: {} };
const meta = { pluginId: 'p', title: 't', widgets: [], handlers: [], reducers: [], initialState: null };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return CorralError.fromUnknown(error).code;
  }
  throw new Error('expected a failure');
}

describe('createHttpSandbox', () => {
  it('posts one contract request to /v1/rpc with the key, and resolves with the result', async () => {
    const { client, sent } = scripted((body) => ok(body, { tree: { kind: 'divider' }, diagnostics: [] }));
    expect((await client.render(renderParams)).tree).toEqual({ kind: 'divider' });
    expect(sent[0]!.body).toMatchObject({ op: 'render', params: renderParams });
    expect(sent[0]!.headers).toMatchObject({
      authorization: 'Bearer k',
      'content-type': 'application/json',
      'x-corral-plugin': 'p',
    });
  });

  it('turns HTTP-level failures into contract codes', async () => {
    const cases: [Script, string][] = [
      [() => Promise.reject(new TypeError('fetch failed')), 'WORKER_CRASHED'],
      [() => new Response('<html>Bad gateway</html>', { status: 502 }), 'OVERLOADED'],
      [() => new Response('oops', { status: 500 }), 'INTERNAL'],
      [() => json({ error: { code: 'UNAUTHORIZED', message: 'no key' } }, 401), 'UNAUTHORIZED'],
      [() => json({ error: { code: 'NOT_A_CODE', message: 'x' } }, 429), 'RATE_LIMITED'],
      [
        () => json({ error: { code: 'OVERLOADED', message: 'busy' } }, 503, { 'retry-after': '2' }),
        'OVERLOADED',
      ],
      [
        () => new Response('{"id":1,', { status: 200, headers: { 'content-type': 'application/json' } }),
        'INTERNAL',
      ],
    ];
    for (const [script, code] of cases) {
      const { client } = scripted(script);
      expect(await codeOf(client.health()), code).toBe(code);
    }
    const { client } = scripted(() =>
      json({ error: { code: 'OVERLOADED', message: 'busy' } }, 503, { 'retry-after': '2' }),
    );
    const error = CorralError.fromUnknown(
      await client.health().then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect(error.details).toEqual({ retryAfterSeconds: 2 });
  });

  it('delivers NDJSON notifications to onDiagnostic before the call resolves', async () => {
    const log = { kind: 'log', pluginId: 'p', level: 'info', message: 'hi' } as const;
    const { client } = scripted(
      (body) =>
        new Response(
          `${JSON.stringify({ notification: 'log', log })}\n${JSON.stringify({ id: (body as RpcRequest).id, ok: true, result: { tree: { kind: 'divider' }, diagnostics: [] } })}\n`,
          { headers: { 'content-type': 'application/x-ndjson' } },
        ),
    );
    const seen: unknown[] = [];
    client.onDiagnostic((d) => seen.push(d));
    await client.render(renderParams);
    expect(seen).toEqual([log]);
  });

  it('after UNKNOWN_PLUGIN, re-sends load and call as one batch (one replica), once', async () => {
    let calls = 0;
    const { client, sent } = scripted((body) => {
      if (Array.isArray(body)) {
        return json([
          { id: body[0].id, ok: true, result: meta },
          { id: body[1].id, ok: true, result: { tree: { kind: 'divider' }, diagnostics: [] } },
        ]);
      }
      const request = body as RpcRequest;
      if (request.op === 'loadPlugin') return ok(body, meta);
      calls++;
      return json({ id: request.id, ok: false, error: { code: 'UNKNOWN_PLUGIN', message: 'gone' } }, 404);
    });
    await client.loadPlugin({ pluginId: 'p', code: 'definePlugin({})' });
    expect((await client.render(renderParams)).tree).toEqual({ kind: 'divider' });
    expect(calls).toBe(1);
    expect(
      sent.map((s) =>
        Array.isArray(s.body) ? s.body.map((r: RpcRequest) => r.op) : (s.body as RpcRequest).op,
      ),
    ).toEqual(['loadPlugin', 'render', ['loadPlugin', 'render']]);
  });

  it('a failed re-load fails the call with the load error', async () => {
    const { client } = scripted((body) => {
      if (Array.isArray(body))
        return json([
          { id: body[0].id, ok: false, error: { code: 'LOAD_FAILED', message: 'syntax' } },
          { id: body[1].id, ok: false, error: { code: 'UNKNOWN_PLUGIN', message: 'gone' } },
        ]);
      const request = body as RpcRequest;
      if (request.op === 'loadPlugin') return ok(body, meta);
      return json({ id: request.id, ok: false, error: { code: 'UNKNOWN_PLUGIN', message: 'gone' } }, 404);
    });
    await client.loadPlugin({ pluginId: 'p', code: 'definePlugin({})' });
    expect(await codeOf(client.render(renderParams))).toBe('LOAD_FAILED');
  });

  it('refuses a malformed load without a round trip', async () => {
    const { client, sent } = scripted((body) => ok(body, meta));
    expect(await codeOf(client.loadPlugin({ pluginId: 'p', code: 'x', profile: 'huge' as never }))).toBe(
      'INVALID_REQUEST',
    );
    expect(sent).toHaveLength(0);
  });

  it("a call's AbortSignal aborts its HTTP request and settles it CANCELLED; other calls carry on", async () => {
    const aborted: unknown[] = [];
    let release: () => void = () => undefined;
    const { client, sent } = scripted((body, init) => {
      const request = body as RpcRequest;
      if (request.op === 'loadPlugin') return ok(body, meta);
      if (request.op === 'health') return new Promise((r) => (release = () => r(ok(body, null))));
      return new Promise<Response>((_resolve, reject) => {
        init.signal!.addEventListener('abort', () => {
          aborted.push(request.id);
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    });
    await client.loadPlugin({ pluginId: 'p', code: 'x' });
    const controller = new AbortController();
    const render = codeOf(client.render(renderParams, { signal: controller.signal }));
    const health = client.health();
    const clock = createFakeClock();
    for (let i = 0; i < 200 && sent.length < 3; i++) await clock.settle();
    controller.abort();
    expect(await render).toBe('CANCELLED');
    expect(aborted).toEqual([(sent[1]!.body as RpcRequest).id]);
    release();
    expect(await health).toBe(null);
    await client.close();
  });

  it('close() aborts requests in flight and fails their calls', async () => {
    let aborted = false;
    const { client, sent } = scripted(
      (_body, init) =>
        new Promise<Response>((_resolve, reject) => {
          init.signal!.addEventListener('abort', () => {
            aborted = true;
            reject(new DOMException('aborted', 'AbortError'));
          });
        }),
    );
    const pending = codeOf(client.health());
    const clock = createFakeClock();
    for (let i = 0; i < 200 && sent.length === 0; i++) await clock.settle();
    expect(sent).toHaveLength(1); // the request is in flight
    await client.close();
    expect(await pending).toBe('OVERLOADED');
    expect(aborted).toBe(true);
  });

  describe('an exchange no replica answered is sent again', () => {
    const refused = () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
    const gatewayPage = () => new Response('<html>502 Bad Gateway</html>', { status: 502 });
    const eventParams = { ...renderParams, handler: 'inc', event: { name: 'click' as const } };
    const eventResult = { pluginState: { count: 1 }, dispatches: [], diagnostics: [] };

    /** A script that fails its first `failures` requests with `fail`, then answers `result`. */
    function flaky(failures: number, fail: Script, result: unknown) {
      let seen = 0;
      const clock = createFakeClock();
      const { client, sent } = scripted(
        (body, init) => (seen++ < failures ? fail(body, init) : ok(body, result)),
        {
          client: { clock },
        },
      );
      /** Run `call` while moving the fake clock on, so retry delays pass. */
      async function drive<T>(call: Promise<T>): Promise<T> {
        let done = false;
        const outcome = call.then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        void outcome.then(() => (done = true));
        for (let i = 0; i < 50 && !done; i++) await clock.advance(100);
        const settled = await outcome;
        if ('error' in settled) throw settled.error;
        return settled.value;
      }
      return { client, sent, drive };
    }

    it('a refused connection: the event is sent again and its one answer delivered', async () => {
      const { client, sent, drive } = flaky(1, refused, eventResult);
      expect((await drive(client.event(eventParams))).pluginState).toEqual({ count: 1 });
      expect(sent.map((s) => (s.body as RpcRequest).op)).toEqual(['event', 'event']);
      // The same request both times: same id, same params.
      expect(sent[1]!.body).toEqual(sent[0]!.body);
    });

    it("a gateway's 502 page twice: the render is sent a third time and succeeds", async () => {
      const { client, sent, drive } = flaky(2, gatewayPage, { tree: { kind: 'divider' }, diagnostics: [] });
      expect((await drive(client.render(renderParams))).tree).toEqual({ kind: 'divider' });
      expect(sent).toHaveLength(3);
    });

    it('gives up after `attempts` re-sends with the failure of the last one', async () => {
      const { client, sent, drive } = flaky(10, gatewayPage, null);
      expect(await codeOf(drive(client.health()))).toBe('OVERLOADED');
      expect(sent).toHaveLength(3);
    });

    it('never re-sends a Corral answer, a dispose, or anything with attempts: 0', async () => {
      const crashed: Script = (body) =>
        json(
          { id: (body as RpcRequest).id, ok: false, error: { code: 'WORKER_CRASHED', message: 'x' } },
          503,
        );
      const answered = flaky(1, crashed, { tree: { kind: 'divider' }, diagnostics: [] });
      expect(await codeOf(answered.drive(answered.client.render(renderParams)))).toBe('WORKER_CRASHED');
      expect(answered.sent).toHaveLength(1);

      const dispose = flaky(1, refused, null);
      expect(await codeOf(dispose.drive(dispose.client.disposePlugin({ pluginId: 'p' })))).toBe(
        'WORKER_CRASHED',
      );
      expect(dispose.sent).toHaveLength(1);

      const { client, sent } = scripted(refused, { retry: { attempts: 0 } });
      expect(await codeOf(client.render(renderParams))).toBe('WORKER_CRASHED');
      expect(sent).toHaveLength(1);
    });

    it('the re-load batch after UNKNOWN_PLUGIN is re-sent the same way', async () => {
      let batches = 0;
      const clock = createFakeClock();
      const { client, sent } = scripted(
        (body) => {
          if (Array.isArray(body)) {
            if (batches++ === 0) return gatewayPage();
            return json([
              { id: body[0].id, ok: true, result: meta },
              { id: body[1].id, ok: true, result: eventResult },
            ]);
          }
          const request = body as RpcRequest;
          if (request.op === 'loadPlugin') return ok(body, meta);
          return json({ id: request.id, ok: false, error: { code: 'UNKNOWN_PLUGIN', message: 'gone' } }, 404);
        },
        { client: { clock } },
      );
      await client.loadPlugin({ pluginId: 'p', code: 'definePlugin({})' });
      const event = client.event(eventParams);
      for (let i = 0; i < 20 && sent.length < 4; i++) await clock.advance(100);
      expect((await event).pluginState).toEqual({ count: 1 });
      expect(sent.map((s) => (Array.isArray(s.body) ? 'batch' : (s.body as RpcRequest).op))).toEqual([
        'loadPlugin',
        'event',
        'batch',
        'batch',
      ]);
    });
  });
});
