/**
 * Hostile requests: fast-check throws arbitrary bodies, content types, methods and paths at a
 * real server. Every answer must be JSON, and never a 5xx other than a documented 503.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, startServer, type TestServer } from './helpers.js';

describe('fuzzed requests', () => {
  let server: TestServer;
  let pluginId = '';
  beforeAll(async () => {
    server = await startServer({ CORRAL_RATE_LIMIT_MAX: '0', CORRAL_MAX_BODY_BYTES: '65536' });
    const res = await fetch(`${server.url}/v1/plugins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: fixtures.counter }),
    });
    pluginId = ((await res.json()) as { pluginId: string }).pluginId;
  });
  afterAll(() => server?.close());

  const paths = () =>
    fc.oneof(
      fc.constantFrom(
        '/v1/plugins',
        `/v1/plugins/${pluginId}/render`,
        `/v1/plugins/${pluginId}/events`,
        `/v1/plugins/${pluginId}`,
        '/v1/rpc',
        '/v1/plugins/%E0%A4%A/render',
        '/v1/plugins/..%2F..%2Fetc/render',
        '/metrics',
        '/readyz',
      ),
      fc.webPath(),
    );
  const ops = fc.constantFrom(
    'loadPlugin',
    'render',
    'event',
    'disposePlugin',
    'health',
    'constructor',
    '__proto__',
  );
  /** Bodies that are nearly right: the contract's shapes with fields swapped for anything. */
  const nearlyRight = fc.record(
    {
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      op: ops,
      params: fc.oneof(
        fc.record(
          {
            pluginId: fc.oneof(fc.constant(pluginId), fc.string()),
            widgetId: fc.oneof(fc.constant('main'), fc.string()),
            handler: fc.oneof(fc.constant('inc'), fc.string()),
            event: fc.oneof(fc.record({ name: fc.constantFrom('click', 'change', 'hover') }), fc.jsonValue()),
            pluginState: fc.jsonValue({ maxDepth: 4 }),
            globalState: fc.jsonValue({ maxDepth: 4 }),
            code: fc.oneof(fc.string(), fc.constant(fixtures.counter)),
            profile: fc.oneof(fc.constantFrom('strict', 'default', 'generous'), fc.string()),
            now: fc.oneof(fc.double(), fc.integer()),
            seed: fc.oneof(fc.double(), fc.integer()),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      ),
      widgetId: fc.string(),
      code: fc.string(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    nearlyRight.map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(),
    fc.constantFrom(
      '{',
      '{"__proto__": {"admin": true}}',
      '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]',
      '\u0000',
      'null',
    ),
    fc.nat(400).map((n) => '['.repeat(n * 50)),
  );
  const contentTypes = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    '',
  );

  it('answers every request with JSON and never a 5xx other than 503', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT', 'PATCH'),
        paths(),
        bodies,
        contentTypes,
        async (method, path, body, type) => {
          const hasBody = method !== 'GET';
          const res = await fetch(`${server.url}${path}`, {
            method,
            headers: type ? { 'content-type': type } : {},
            ...(hasBody ? { body } : {}),
          });
          const text = await res.text();
          const status = res.status;
          expect(
            status >= 500 && status !== 503,
            `${method} ${path} ${type} → ${status} ${text.slice(0, 200)}`,
          ).toBe(false);
          if (status === 204 || path === '/metrics') return;
          expect(res.headers.get('content-type'), text.slice(0, 200)).toMatch(
            /^application\/(json|x-ndjson)/,
          );
          const parsed = JSON.parse(text) as Record<string, unknown>;
          if (status >= 400)
            expect(parsed.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
        },
      ),
      { numRuns: 400 },
    );
    // and the server still works
    const after = await fetch(`${server.url}/readyz`);
    expect(after.status).toBe(200);
  });
});
