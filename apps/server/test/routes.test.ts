/**
 * Every route and every status over real HTTP: a real server on an ephemeral loopback port,
 * worker threads running real plugins, Node's own fetch.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LIMIT_PROFILES } from '@corral/contracts';
import { MAX_LOG_LINES_PER_CALL } from '../src/pluginHost.js';
import { createServerSandbox, loadConfig } from '../src/index.js';
import { call, fixtures, hello, looping, startServer, unstoppable, type TestServer } from './helpers.js';

const json = { 'content-type': 'application/json' };
const render = (state: unknown = { name: 'Ada' }) => ({
  widgetId: 'main',
  pluginState: state,
  globalState: {},
});

describe('routes', () => {
  let server: TestServer;
  let url: string;
  let counterId: string;

  beforeAll(async () => {
    server = await startServer();
    url = server.url;
    counterId = (await call(url, 'POST', '/v1/plugins', { code: fixtures.counter })).body.pluginId;
  });
  afterAll(() => server?.close());

  it('GET / lists the routes; /healthz and /readyz answer 200', async () => {
    expect((await call(url, 'GET', '/')).body.routes).toContain('POST /v1/rpc');
    expect(await call(url, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call(url, 'GET', '/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ready', engine: 'quickjs' },
    });
  });

  it('POST /v1/plugins → 201 PluginMeta under a content-derived id, idempotently', async () => {
    const first = await call(url, 'POST', '/v1/plugins', { code: hello });
    const expected = `sha256-${createHash('sha256').update(`default\n${hello}`).digest('hex')}`;
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/v1/plugins/${expected}`);
    expect(first.body).toEqual({
      pluginId: expected,
      title: 'Hello',
      widgets: [{ id: 'main', title: 'main' }],
      handlers: [],
      reducers: [],
      initialState: null,
      stackBytes: 384 * 1024,
    });
    const again = await call(url, 'POST', '/v1/plugins', { code: hello, profile: 'default' });
    expect(again).toMatchObject({ status: 201, body: { pluginId: expected } });
    const strict = await call(url, 'POST', '/v1/plugins', { code: hello, profile: 'strict' });
    expect(strict.body.pluginId).toBe(
      `sha256-${createHash('sha256').update(`strict\n${hello}`).digest('hex')}`,
    );
  });

  it('POST /v1/plugins/:id/render → 200 {tree, diagnostics}', async () => {
    const { body } = await call(url, 'POST', '/v1/plugins', { code: hello });
    const out = await call(url, 'POST', `/v1/plugins/${body.pluginId}/render`, render());
    expect(out.status).toBe(200);
    expect(out.body.tree).toEqual({ kind: 'text', text: 'Hello Ada' });
    expect(out.body.diagnostics[0]).toMatchObject({ kind: 'call', op: 'render', pluginId: body.pluginId });
  });

  it('render results pass through as the exact contract JSON, ids renamed, failures still typed', async () => {
    const pluginId = (await call(url, 'POST', '/v1/plugins', { code: fixtures.todo50 })).body
      .pluginId as string;
    const params = { widgetId: 'main', pluginState: fixtures.todo50State, globalState: {}, now: 5, seed: 9 };
    // What the worker pool itself answers for the same plugin and call.
    const sandbox = await createServerSandbox(loadConfig({ CORRAL_POOL_SIZE: '1' }));
    let expected: unknown;
    try {
      await sandbox.loadPlugin({ pluginId, code: fixtures.todo50 });
      expected = (await sandbox.render({ pluginId, ...params })).tree;
    } finally {
      await sandbox.close();
    }
    const rest = await call(url, 'POST', `/v1/plugins/${pluginId}/render`, params);
    expect(rest.status).toBe(200);
    expect(rest.headers.get('content-type')).toMatch(/^application\/json/);
    expect(rest.text.startsWith(`{"tree":${JSON.stringify(expected)},"diagnostics":[`)).toBe(true);
    expect(rest.text).toBe(JSON.stringify(rest.body)); // canonical: what JSON.stringify writes
    expect(rest.body.diagnostics[0]).toMatchObject({ kind: 'call', op: 'render', pluginId });
    expect(rest.text).not.toMatch(/c-[0-9a-f]{64}/); // the sandbox id never leaks
    const id = 'r"1\\';
    const rpc = await call(url, 'POST', '/v1/rpc', { id, op: 'render', params: { pluginId, ...params } });
    expect(rpc.status).toBe(200);
    expect(rpc.text).toBe(JSON.stringify({ id, ok: true, result: rpc.body.result }));
    expect(rpc.body.result.tree).toEqual(expected);
    const stream = await fetch(`${url}/v1/rpc`, {
      method: 'POST',
      headers: { ...json, accept: 'application/x-ndjson' },
      body: JSON.stringify({ id: 4, op: 'render', params: { pluginId, ...params } }),
    });
    const lines = (await stream.text()).trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ id: 4, ok: true, result: { tree: expected } });
    const missing = await call(url, 'POST', `/v1/plugins/${pluginId}/render`, {
      ...params,
      widgetId: 'nope',
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 'UNKNOWN_WIDGET', message: expect.any(String), details: expect.any(Object) },
    });
  });

  it('POST /v1/plugins/:id/events → 200 {pluginState, dispatches, diagnostics}, stamped by the server', async () => {
    const out = await call(url, 'POST', `/v1/plugins/${counterId}/events`, {
      widgetId: 'main',
      handler: 'inc',
      event: { name: 'click' },
      pluginState: { count: 1 },
      globalState: {},
      now: 1_700_000_000_000,
    });
    expect(out.status).toBe(200);
    expect(out.body.pluginState).toEqual({ count: 2 });
    expect(out.body.dispatches[0]).toMatchObject({
      type: 'increment',
      meta: { scope: 'plugin', pluginId: counterId, source: 'server', accepted: true, ts: 1_700_000_000_000 },
    });
  });

  it('DELETE /v1/plugins/:id → 204, then 404 UNKNOWN_PLUGIN', async () => {
    const { body } = await call(url, 'POST', '/v1/plugins', { code: `${hello}\n// to delete` });
    const gone = await call(url, 'DELETE', `/v1/plugins/${body.pluginId}`);
    expect(gone.status).toBe(204);
    expect(gone.text).toBe('');
    const after = await call(url, 'POST', `/v1/plugins/${body.pluginId}/render`, render());
    expect(after).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_PLUGIN' } } });
    expect((await call(url, 'DELETE', `/v1/plugins/${body.pluginId}`)).status).toBe(404);
  });

  describe('POST /v1/rpc', () => {
    it('takes a contract request and returns the contract response', async () => {
      const load = await call(url, 'POST', '/v1/rpc', {
        id: 'a',
        op: 'loadPlugin',
        params: { pluginId: 'my-counter', code: fixtures.counter },
      });
      expect(load).toMatchObject({
        status: 200,
        body: { id: 'a', ok: true, result: { pluginId: 'my-counter' } },
      });
      const out = await call(url, 'POST', '/v1/rpc', {
        id: 2,
        op: 'render',
        params: { pluginId: 'my-counter', ...render({ count: 7 }) },
      });
      expect(out.body).toMatchObject({ id: 2, ok: true, result: { tree: { kind: 'panel' } } });
      expect(JSON.stringify(out.body.result.tree)).toContain('Count: 7');
      const health = await call(url, 'POST', '/v1/rpc', { id: 3, op: 'health', params: {} });
      expect(health.body.result.source).toBe('server');
      expect(health.body.result.plugins.map((p: { pluginId: string }) => p.pluginId)).toContain('my-counter');
    });

    it('a failure keeps the contract body and takes the code table status', async () => {
      const out = await call(url, 'POST', '/v1/rpc', {
        id: 9,
        op: 'render',
        params: { pluginId: 'never-loaded', ...render() },
      });
      expect(out.status).toBe(404);
      expect(out.body).toEqual({
        id: 9,
        ok: false,
        error: {
          code: 'UNKNOWN_PLUGIN',
          message: "No plugin 'never-loaded' is loaded",
          details: { pluginId: 'never-loaded' },
        },
      });
      const envelope = await call(url, 'POST', '/v1/rpc', { id: 1, op: 'explode', params: {} });
      expect(envelope.status).toBe(400);
      expect(envelope.body).toMatchObject({
        id: 1,
        ok: false,
        error: { code: 'INVALID_REQUEST', details: { path: '/op' } },
      });
      const noId = await call(url, 'POST', '/v1/rpc', { op: 'health', params: {} });
      expect(noId.body).toMatchObject({ id: null, ok: false, error: { code: 'INVALID_REQUEST' } });
    });

    it('an array is a batch, run in order on one replica, answered 200 with every response', async () => {
      const out = await call(url, 'POST', '/v1/rpc', [
        { id: 'load', op: 'loadPlugin', params: { pluginId: 'batched', code: hello } },
        { id: 'call', op: 'render', params: { pluginId: 'batched', ...render() } },
        {
          id: 'bad',
          op: 'render',
          params: { pluginId: 'batched', widgetId: 'side', pluginState: {}, globalState: {} },
        },
      ]);
      expect(out.status).toBe(200);
      expect(out.body.map((r: { id: string; ok: boolean }) => [r.id, r.ok])).toEqual([
        ['load', true],
        ['call', true],
        ['bad', false],
      ]);
      expect(out.body[1].result.tree).toEqual({ kind: 'text', text: 'Hello Ada' });
      expect(out.body[2].error.code).toBe('UNKNOWN_WIDGET');
      expect((await call(url, 'POST', '/v1/rpc', [])).status).toBe(400);
      expect(
        (await call(url, 'POST', '/v1/rpc', Array(9).fill({ id: 1, op: 'health', params: {} }))).status,
      ).toBe(400);
    });

    it('with Accept: application/x-ndjson, streams the call notifications before the response', async () => {
      await call(url, 'POST', '/v1/rpc', {
        id: 1,
        op: 'loadPlugin',
        params: {
          pluginId: 'logger',
          code: 'definePlugin({ widgets: { main: { render: function (ctx) { ctx.log("hi"); return { kind: "divider" }; } } } })',
        },
      });
      const res = await fetch(`${url}/v1/rpc`, {
        method: 'POST',
        headers: { ...json, accept: 'application/x-ndjson' },
        body: JSON.stringify({ id: 5, op: 'render', params: { pluginId: 'logger', ...render() } }),
      });
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const lines = (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({ id: 5, ok: true });
      expect(lines.slice(0, -1)).toEqual(
        expect.arrayContaining([
          { notification: 'log', log: { kind: 'log', pluginId: 'logger', level: 'info', message: 'hi' } },
          expect.objectContaining({
            notification: 'diagnostic',
            diagnostic: expect.objectContaining({ op: 'render' }),
          }),
        ]),
      );
    });
  });

  describe('400 INVALID_REQUEST names the JSON path', () => {
    it('for params that break the contract', async () => {
      const missing = await call(url, 'POST', `/v1/plugins/${counterId}/render`, {
        widgetId: 'main',
        pluginState: {},
      });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { path: '' } });
      expect(missing.body.error.details.issue).toMatch(/globalState/);
      const hover = await call(url, 'POST', `/v1/plugins/${counterId}/events`, {
        widgetId: 'main',
        handler: 'inc',
        event: { name: 'hover' },
        pluginState: {},
        globalState: {},
      });
      expect(hover.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { path: '/event/name' } });
      const profile = await call(url, 'POST', '/v1/plugins', { code: hello, profile: 'huge' });
      expect(profile.body.error.details.path).toBe('/profile');
      const extra = await call(url, 'POST', '/v1/plugins', { code: hello, limits: {} });
      expect(extra.body.error.details.issue).toMatch(/additional properties \('limits'\)/);
      const idInBody = await call(url, 'POST', `/v1/plugins/${counterId}/render`, {
        ...render(),
        pluginId: 'x',
      });
      expect(idInBody.body.error.details.path).toBe('/pluginId');
    });

    it('for malformed JSON and bodies that are not objects, as JSON (never HTML)', async () => {
      for (const body of ['{"code":', 'nope', '"a string"', '[1,2]', '']) {
        const out = await call(url, 'POST', '/v1/plugins', body, json);
        expect(out.status, body).toBe(400);
        expect(out.headers.get('content-type')).toMatch(/^application\/json/);
        expect(out.body.error.code).toBe('INVALID_REQUEST');
        expect(out.text).not.toMatch(/<html|at .*\.ts:\d+/i);
      }
    });
  });

  it('404 UNKNOWN_PLUGIN, UNKNOWN_WIDGET, UNKNOWN_HANDLER, and unknown routes', async () => {
    expect((await call(url, 'POST', '/v1/plugins/sha256-nope/render', render())).body.error.code).toBe(
      'UNKNOWN_PLUGIN',
    );
    const widget = await call(url, 'POST', `/v1/plugins/${counterId}/render`, {
      ...render(),
      widgetId: 'side',
    });
    expect(widget).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_WIDGET' } } });
    const handler = await call(url, 'POST', `/v1/plugins/${counterId}/events`, {
      widgetId: 'main',
      handler: 'nope',
      event: { name: 'click' },
      pluginState: {},
      globalState: {},
    });
    expect(handler).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_HANDLER' } } });
    const route = await call(url, 'GET', '/wp-admin.php');
    expect(route).toMatchObject({ status: 404, body: { error: { code: 'INVALID_REQUEST' } } });
  });

  it('405 for a known path with the wrong method, with Allow', async () => {
    const out = await call(url, 'GET', '/v1/rpc');
    expect(out).toMatchObject({ status: 405, body: { error: { code: 'INVALID_REQUEST' } } });
    expect(out.headers.get('allow')).toBe('POST');
  });

  it('413 for a body past CORRAL_MAX_BODY_BYTES, and CODE_TOO_LARGE for code past maxCodeBytes', async () => {
    const huge = await call(url, 'POST', '/v1/plugins', { code: 'x'.repeat(6 * 1024 * 1024) });
    expect(huge).toMatchObject({
      status: 413,
      body: { error: { code: 'INVALID_REQUEST', details: { limitBytes: 5 * 1024 * 1024 } } },
    });
    const code = `// ${'x'.repeat(LIMIT_PROFILES.strict.maxCodeBytes)}\n${hello}`;
    const big = await call(url, 'POST', '/v1/plugins', { code, profile: 'strict' });
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'CODE_TOO_LARGE' } } });
  });

  it('415 for a body that is not application/json', async () => {
    const text = await call(url, 'POST', '/v1/plugins', '{"code":"x"}', { 'content-type': 'text/plain' });
    expect(text).toMatchObject({ status: 415, body: { error: { code: 'INVALID_REQUEST' } } });
    const none = await fetch(`${url}/v1/rpc`, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
    expect(none.status).toBe(415);
    const latin = await call(url, 'POST', '/v1/plugins', '{}', {
      'content-type': 'application/json; charset=latin9',
    });
    expect(latin.status).toBe(415);
  });

  it('bodies are UTF-8: another charset is 415, invalid bytes are 400, never replaced by U+FFFD', async () => {
    const post = (body: Uint8Array<ArrayBuffer> | string, type = 'application/json') =>
      fetch(`${url}/v1/rpc`, { method: 'POST', headers: { 'content-type': type }, body });
    const health = JSON.stringify({ id: 1, op: 'health', params: {} });
    const utf16 = await post(
      new Uint8Array(Buffer.from(health, 'utf16le')),
      'application/json; charset=utf-16',
    );
    expect(utf16.status).toBe(415);
    expect((await utf16.json()).error).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { issue: "the body must be UTF-8 JSON, not charset 'utf-16'" },
    });
    // Two ids that differ only in bytes UTF-8 does not allow would both decode to "r\uFFFD".
    for (const bad of [[0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const bytes = Buffer.concat([
        Buffer.from('{"id":1,"op":"disposePlugin","params":{"pluginId":"r'),
        Buffer.from(bad),
        Buffer.from('"}}'),
      ]);
      const out = await post(new Uint8Array(bytes));
      expect(out.status, String(bad)).toBe(400);
      const { error } = await out.json();
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { path: '' } });
      expect(error.details.issue).toMatch(/not valid UTF-8/);
    }
    const explicit = await post(health, 'application/json; charset=UTF-8');
    expect(explicit.status).toBe(200);
    const { body } = await call(url, 'POST', '/v1/plugins', { code: hello });
    const named = await call(url, 'POST', `/v1/plugins/${body.pluginId}/render`, render({ name: 'Zoë 🐎' }));
    expect(named.body.tree).toEqual({ kind: 'text', text: 'Hello Zoë 🐎' });
  });

  it('422 for plugin-caused failures', async () => {
    const cases: [string, unknown, string][] = [
      ['definePlugin({', undefined, 'LOAD_FAILED'],
      ['1 + 1', undefined, 'INVALID_PLUGIN'],
      [
        'definePlugin({ widgets: { main: { render: function () { throw new Error("x"); } } } })',
        render(),
        'PLUGIN_THREW',
      ],
      [looping, render({ loop: true }), 'LIMIT_TIME'],
      [
        'definePlugin({ widgets: { main: { render: function () { return { kind: "script" }; } } } })',
        render(),
        'INVALID_OUTPUT',
      ],
    ];
    for (const [code, renderBody, expected] of cases) {
      const load = await call(url, 'POST', '/v1/plugins', { code });
      const out = renderBody
        ? await call(url, 'POST', `/v1/plugins/${load.body.pluginId}/render`, renderBody)
        : load;
      expect(out.status, expected).toBe(422);
      expect(out.body.error.code).toBe(expected);
    }
    const strict = await call(url, 'POST', '/v1/plugins', { code: fixtures.counter, profile: 'strict' });
    const state = await call(
      url,
      'POST',
      `/v1/plugins/${strict.body.pluginId}/render`,
      render({ blob: 'x'.repeat(300_000) }),
    );
    expect(state).toMatchObject({ status: 422, body: { error: { code: 'INVALID_STATE' } } });
  });

  it('422 LIMIT_TIME {killed} for a call the interrupt cannot stop; the call queued behind it is answered by the replacement', async () => {
    const { body } = await call(url, 'POST', '/v1/plugins', { code: unstoppable, profile: 'generous' });
    const path = `/v1/plugins/${body.pluginId}/render`;
    const [stuck, queued] = await Promise.all([
      call(url, 'POST', path, render({ stuck: true })),
      call(url, 'POST', path, render({})),
    ]);
    expect(stuck).toMatchObject({
      status: 422,
      body: { error: { code: 'LIMIT_TIME', details: { killed: true } } },
    });
    // It never started on the killed worker: the replacement, which loads the plugin from cached
    // code on its next call, runs it.
    expect(queued).toMatchObject({ status: 200, body: { tree: { kind: 'text', text: 'ok' } } });
    expect((await call(url, 'POST', path, render({}))).body.tree).toEqual({ kind: 'text', text: 'ok' });
    const metrics = (await call(url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^corral_worker_restarts_total [1-9]/m);
  });

  it('a plugin that overran a limit is re-loaded into the quarantine lane, away from benign plugins', async () => {
    const hostile = await call(url, 'POST', '/v1/plugins', { code: `${looping} // quarantine` });
    const path = `/v1/plugins/${hostile.body.pluginId}/render`;
    expect((await call(url, 'POST', path, render({ loop: true }))).body.error.code).toBe('LIMIT_TIME');
    // Re-loading it (as a client does after PLUGIN_ERRORED) puts it in the quarantine lane.
    expect((await call(url, 'POST', '/v1/plugins', { code: `${looping} // quarantine` })).status).toBe(201);
    expect((await call(url, 'GET', '/metrics')).text).toMatch(/^corral_plugins_quarantined 1$/m);
    // With one main worker, a benign render used to wait behind the loop; now it does not.
    const order: string[] = [];
    await Promise.all([
      call(url, 'POST', path, render({ loop: true })).then((r) => order.push(`hostile ${r.body.error.code}`)),
      new Promise((r) => setTimeout(r, 5))
        .then(() => call(url, 'POST', `/v1/plugins/${counterId}/render`, render({ count: 1 })))
        .then((r) => order.push(`benign ${r.status}`)),
    ]);
    expect(order).toEqual(['benign 200', 'hostile LIMIT_TIME']);
    expect((await call(url, 'POST', path, render({}))).body.tree).toEqual({ kind: 'text', text: 'ok' });
  });

  it('answers with a request id, helmet headers and a CSP fit for WASM without unsafe-eval', async () => {
    const out = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'trace-42' } });
    expect(out.headers.get('x-request-id')).toBe('trace-42');
    const csp = out.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("worker-src 'self'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(out.headers.get('x-content-type-options')).toBe('nosniff');
    expect(out.headers.get('x-powered-by')).toBe(null);
    const generated = await fetch(`${url}/healthz`, { headers: { 'x-request-id': '<script>' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /metrics: calls by op and code, latency histograms, plugins, restarts, queue depth', async () => {
    const metrics = await call(url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const line of [
      /^corral_calls_total\{op="render",code="ok"\} \d+/m,
      /^corral_calls_total\{op="render",code="UNKNOWN_PLUGIN"\} \d+/m,
      /^corral_call_duration_seconds_bucket\{le="0.005",op="render",outcome="ok"\} \d+/m,
      /^corral_plugins_loaded \d+/m,
      /^corral_plugins_quarantined \d+/m,
      /^corral_worker_restarts_total \d+/m,
      /^corral_queue_depth 0/m,
      /^corral_worker_queue_depth \d+/m,
      /^corral_http_requests_total\{method="POST",route="\/v1\/plugins",status="201"\} \d+/m,
      // refused on the way in, still counted under their route: malformed JSON, not JSON
      /^corral_http_requests_total\{method="POST",route="\/v1\/plugins",status="400"\} \d+/m,
      /^corral_http_requests_total\{method="POST",route="\/v1\/plugins",status="415"\} \d+/m,
      /^corral_http_requests_total\{method="GET",route="unmatched",status="404"\} \d+/m,
      /^# TYPE corral_worker_restarts_total counter$/m,
      /^corral_process_cpu_user_seconds_total \d/m,
      /^corral_nodejs_heap_size_used_bytes \d/m,
    ])
      expect(metrics.text).toMatch(line);
    expect(metrics.text).not.toMatch(/corral_process_process_|route="unmatched",status="4(00|15)"/);
  });
});

describe('configured servers', () => {
  it('401 without a valid API key; keys isolate tenants', async () => {
    const server = await startServer({ CORRAL_API_KEYS: 'alpha-key, beta-key' });
    try {
      const { url } = server;
      const none = await call(url, 'POST', '/v1/plugins', { code: hello });
      expect(none).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await call(url, 'POST', '/v1/plugins', { code: hello }, { 'x-api-key': 'gamma' })).status).toBe(
        401,
      );
      expect((await call(url, 'GET', '/metrics')).status).toBe(401);
      expect((await call(url, 'GET', '/healthz')).status).toBe(200);
      expect((await call(url, 'GET', '/readyz')).status).toBe(200);

      const alpha = { authorization: 'Bearer alpha-key' };
      const beta = { 'x-api-key': 'beta-key' };
      const rpc = (headers: Record<string, string>, op: string, params: object) =>
        call(url, 'POST', '/v1/rpc', { id: 1, op, params }, headers);
      expect((await rpc(alpha, 'loadPlugin', { pluginId: 'mine', code: hello })).status).toBe(200);
      // beta cannot see, render, replace or dispose alpha's plugin
      expect((await rpc(beta, 'render', { pluginId: 'mine', ...render() })).body.error.code).toBe(
        'UNKNOWN_PLUGIN',
      );
      expect((await rpc(beta, 'disposePlugin', { pluginId: 'mine' })).status).toBe(404);
      await rpc(beta, 'loadPlugin', {
        pluginId: 'mine',
        code: 'definePlugin({ widgets: { main: { render: function () { return { kind: "text", text: "beta" }; } } } })',
      });
      expect((await rpc(alpha, 'render', { pluginId: 'mine', ...render() })).body.result.tree).toEqual({
        kind: 'text',
        text: 'Hello Ada',
      });
      expect((await rpc(beta, 'render', { pluginId: 'mine', ...render() })).body.result.tree.text).toBe(
        'beta',
      );
      const health = await rpc(alpha, 'health', {});
      expect(health.body.result.plugins.map((p: { pluginId: string }) => p.pluginId)).toEqual(['mine']);
      expect((await call(url, 'GET', '/metrics', undefined, alpha)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('429 RATE_LIMITED with Retry-After, per key', async () => {
    const server = await startServer({ CORRAL_RATE_LIMIT_MAX: '3', CORRAL_API_KEYS: 'k1,k2' });
    try {
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await call(
          server.url,
          'POST',
          '/v1/rpc',
          { id: i, op: 'health', params: {} },
          { 'x-api-key': 'k1' },
        );
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 3 } });
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = await call(
        server.url,
        'POST',
        '/v1/rpc',
        { id: 1, op: 'health', params: {} },
        { 'x-api-key': 'k2' },
      );
      expect(other.status).toBe(200);
      expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('503 OVERLOADED with Retry-After when CORRAL_MAX_QUEUE calls are in flight', async () => {
    const server = await startServer({ CORRAL_MAX_QUEUE: '1' });
    try {
      const { url } = server;
      // The busy call runs until the watchdog kills its worker (deadline + grace, ≥ 350 ms), so
      // the second is sent while it is surely in flight, however late a timer fires here.
      const { body } = await call(url, 'POST', '/v1/plugins', { code: unstoppable, profile: 'generous' });
      const path = `/v1/plugins/${body.pluginId}/render`;
      const busyCall = call(url, 'POST', path, render({ stuck: true }));
      const inFlight = async () => /^corral_queue_depth 1$/m.test((await call(url, 'GET', '/metrics')).text);
      while (!(await inFlight())) await new Promise((r) => setTimeout(r, 1));
      const [busy, refused] = await Promise.all([busyCall, call(url, 'POST', path, render({}))]);
      expect(busy.body.error).toMatchObject({ code: 'LIMIT_TIME', details: { killed: true } });
      expect(refused).toMatchObject({ status: 503, body: { error: { code: 'OVERLOADED' } } });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await call(url, 'POST', path, render({}))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('while draining: /readyz 503, requests still served with connection: close, then closed', async () => {
    const server = await startServer();
    const { body } = await call(server.url, 'POST', '/v1/plugins', { code: hello });
    const closing = server.close();
    const ready = await call(server.url, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 503, body: { error: { code: 'OVERLOADED' } } });
    const served = await call(server.url, 'POST', `/v1/plugins/${body.pluginId}/render`, render());
    expect(served.status).toBe(200);
    expect(served.headers.get('connection')).toBe('close');
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('CORS only for the configured origins', async () => {
    const server = await startServer({ CORRAL_CORS_ORIGINS: 'https://app.example' });
    try {
      const preflight = (origin: string) =>
        fetch(`${server.url}/v1/rpc`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type, authorization, x-corral-plugin',
          },
        });
      const allowed = await preflight('https://app.example');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      // what createHttpSandbox sends from a browser
      expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization.*x-corral-plugin/);
      expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBe(null);
    } finally {
      await server.close();
    }
  });

  it('keeps at most CORRAL_MAX_PLUGINS warm, evicting the least recently used', async () => {
    const server = await startServer({ CORRAL_MAX_PLUGINS: '2' });
    try {
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        ids.push(
          (await call(server.url, 'POST', '/v1/plugins', { code: `${hello} // ${name}` })).body.pluginId,
        );
        if (name === 'b') await call(server.url, 'POST', `/v1/plugins/${ids[0]}/render`, render()); // a is used again
      }
      const statuses = await Promise.all(
        ids.map(async (id) => (await call(server.url, 'POST', `/v1/plugins/${id}/render`, render())).status),
      );
      expect(statuses).toEqual([200, 404, 200]);
      expect((await call(server.url, 'GET', '/metrics')).text).toMatch(/^corral_plugins_loaded 2$/m);
    } finally {
      await server.close();
    }
  });

  it("plugins' log() and console lines reach the server's log: their level, pluginId and request id, bounded", async () => {
    const lines: Record<string, any>[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const server = await startServer({}, { logger });
    try {
      const chatty =
        'definePlugin({ widgets: { main: { render: function (ctx) { ctx.log.warn("careful", { n: ctx.pluginState.n }); console.error("from console"); for (var i = 0; i < ctx.pluginState.n; i++) ctx.log("line " + i); return { kind: "divider" }; } } } })';
      const rpc = (id: number, op: string, params: object, requestId: string) =>
        call(server.url, 'POST', '/v1/rpc', { id, op, params }, { 'x-request-id': requestId });
      await rpc(1, 'loadPlugin', { pluginId: 'chatty', code: chatty, profile: 'generous' }, 'load-1');
      expect((await rpc(2, 'render', { pluginId: 'chatty', ...render({ n: 1 }) }, 'trace-7')).status).toBe(
        200,
      );
      const fromPlugin = () => lines.filter((line) => line.plugin);
      expect(fromPlugin()).toEqual([
        expect.objectContaining({
          level: 40,
          msg: 'plugin log: careful {"n":1}',
          plugin: { tenant: 'public', pluginId: 'chatty', requestId: 'trace-7' },
        }),
        // console inside the VM lands on the same log, its level kept.
        expect.objectContaining({ level: 50, msg: 'plugin log: from console', plugin: expect.any(Object) }),
        expect.objectContaining({ level: 30, msg: 'plugin log: line 0', plugin: expect.any(Object) }),
      ]);
      // 500 lines in one call: the server's log takes a bounded number, then says it dropped some.
      lines.length = 0;
      expect((await rpc(3, 'render', { pluginId: 'chatty', ...render({ n: 500 }) }, 'flood')).status).toBe(
        200,
      );
      expect(fromPlugin()).toHaveLength(MAX_LOG_LINES_PER_CALL + 1);
      expect(fromPlugin().at(-1)!.msg).toMatch(/more than 20 log lines in one call; the rest are dropped/);
    } finally {
      await server.close();
    }
  });

  it('500 INTERNAL for a defect: JSON with a code, no stack', async () => {
    // The one injected fault: a sandbox whose health() has a bug (a TypeError, not a CorralError).
    const server = await startServer(
      {},
      {
        createSandbox: async (config, lane) => {
          const sandbox = await createServerSandbox(config, lane);
          return Object.assign(sandbox, {
            health: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'x')")),
          });
        },
      },
    );
    try {
      const out = await call(server.url, 'POST', '/v1/rpc', { id: 1, op: 'health', params: {} });
      expect(out.status).toBe(500);
      expect(out.body).toMatchObject({ id: 1, ok: false, error: { code: 'INTERNAL' } });
      expect(out.text).not.toMatch(/\.ts:\d+|\n\s+at |reading 'x'/);
    } finally {
      await server.close();
    }
  });

  it('refuses a bad configuration at start-up, naming the variable', async () => {
    await expect(startServer({ CORRAL_POOL_SIZE: 'many' })).rejects.toThrow(/CORRAL_POOL_SIZE/);
    await expect(startServer({ CORRAL_PROFILE: 'huge' })).rejects.toThrow(/CORRAL_PROFILE/);
    await expect(startServer({ CORRAL_QUARANTINE_NICE: '25' })).rejects.toThrow(/CORRAL_QUARANTINE_NICE/);
    await expect(startServer({ CORRAL_SPIN_MS: '-1' })).rejects.toThrow(/CORRAL_SPIN_MS/);
  });

  it('leaves worker polling off unless CORRAL_SPIN_MS asks for it', () => {
    expect(loadConfig({}).spinMs).toBe(0);
    expect(loadConfig({ CORRAL_SPIN_MS: '0.25' }).spinMs).toBe(0.25);
  });

  it('runs the quarantine lane CORRAL_QUARANTINE_NICE lower than the main lane (Linux, per thread)', async () => {
    // Thread id → nice value for every thread of this process; on other systems, nothing to see.
    const nice = (): Map<string, number> =>
      process.platform !== 'linux'
        ? new Map()
        : new Map(
            readdirSync('/proc/self/task').map((tid) => {
              const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
              return [tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
            }),
          );
    const config = loadConfig({ CORRAL_POOL_SIZE: '1', CORRAL_QUARANTINE_NICE: '5' });
    const base = nice().get(String(process.pid)) ?? 0;
    const lanes: Record<string, number[]> = {};
    for (const lane of ['main', 'quarantine'] as const) {
      const before = nice();
      const sandbox = await createServerSandbox(config, lane);
      try {
        await sandbox.loadPlugin({ pluginId: 'c', code: fixtures.counter });
        expect((await sandbox.health()).plugins).toHaveLength(1);
        // The hot spare boots once the member serves: wait (up to 20 s) until it is there too.
        const fresh = () => [...nice()].filter(([tid]) => !before.has(tid)).map(([, value]) => value);
        const want = lane === 'main' ? base : Math.min(19, base + 5);
        for (
          let i = 0;
          process.platform === 'linux' && i < 400 && fresh().filter((v) => v === want).length < 2;
          i++
        ) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        lanes[lane] = fresh();
      } finally {
        await sandbox.close();
      }
    }
    if (process.platform !== 'linux') return;
    expect(lanes.main!.length).toBeGreaterThan(0);
    expect(lanes.main!.every((value) => value === base)).toBe(true);
    expect(
      lanes.quarantine!.filter((value) => value === Math.min(19, base + 5)).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
