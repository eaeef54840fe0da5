/**
 * Content-Security-Policy reports: every response's policy names `/csp-reports`, and a browser's
 * report there (either format) is counted by directive and logged, with no API key needed.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { call, startServer, type TestServer } from './helpers.js';

describe('POST /csp-reports', () => {
  let server: TestServer;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    server = await startServer(
      { CORRAL_API_KEYS: 'secret-key-1234567890' },
      { logger: pino({ level: 'warn' }, sink) },
    );
  });
  afterAll(() => server?.close());

  it('is where every response sends the browser: report-uri in the policy, JavaScript included', async () => {
    const answer = await call(server.url, 'GET', '/healthz');
    expect(answer.headers.get('content-security-policy')).toContain('report-uri /csp-reports');
  });

  it('counts and logs a report-uri report and a Reporting API one, without a key', async () => {
    const legacy = {
      'csp-report': {
        'document-uri': 'http://127.0.0.1/',
        'violated-directive': 'worker-src',
        'effective-directive': 'worker-src',
        'blocked-uri': 'blob',
      },
    };
    const modern = [
      { type: 'csp-violation', body: { effectiveDirective: 'script-src-elem', blockedURL: 'inline' } },
    ];
    expect(
      (
        await call(server.url, 'POST', '/csp-reports', JSON.stringify(legacy), {
          'content-type': 'application/csp-report',
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await call(server.url, 'POST', '/csp-reports', JSON.stringify(modern), {
          'content-type': 'application/reports+json',
        })
      ).status,
    ).toBe(204);
    const metrics = (
      await call(server.url, 'GET', '/metrics', undefined, { authorization: 'Bearer secret-key-1234567890' })
    ).text;
    expect(metrics).toMatch(/^corral_csp_violations_total\{directive="worker-src"\} 1$/m);
    expect(metrics).toMatch(/^corral_csp_violations_total\{directive="script-src-elem"\} 1$/m);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'content security policy violation',
        directive: 'worker-src',
        blockedUri: 'blob',
      }),
    );
  });

  it('refuses a body over 16 KiB and counts nothing for one that is not a report', async () => {
    const big = JSON.stringify({ 'csp-report': { 'blocked-uri': 'x'.repeat(20_000) } });
    expect(
      (await call(server.url, 'POST', '/csp-reports', big, { 'content-type': 'application/csp-report' }))
        .status,
    ).toBe(413);
    expect(
      (
        await call(server.url, 'POST', '/csp-reports', '{"hello":1}', {
          'content-type': 'application/csp-report',
        })
      ).status,
    ).toBe(204);
    const metrics = (
      await call(server.url, 'GET', '/metrics', undefined, { authorization: 'Bearer secret-key-1234567890' })
    ).text;
    expect(metrics.match(/^corral_csp_violations_total\{/gm)).toHaveLength(2);
  });
});
