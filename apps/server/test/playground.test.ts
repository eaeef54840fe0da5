/**
 * The playground served beside the API, from a tiny fixture build (not the real playground's):
 * the page for a browser at `/` and at app paths, a fresh CSP style nonce written into it, the
 * assets with the right types and cache headers, the CSP on every response (scripts too: a
 * worker takes its policy from its own script's response), TLS-only headers only behind TLS,
 * and a plain page when nothing is built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSP_NONCE_PLACEHOLDER } from '../src/index.js';
import { call, startServer, type TestServer } from './helpers.js';

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const INDEX = `<!doctype html><html><head><meta name="csp-nonce" content="${CSP_NONCE_PLACEHOLDER}"><script type="module" src="/assets/index-AbCd1234.js"></script></head><body><div id="root"></div></body></html>`;
const WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function fixtureBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-playground-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-AbCd1234.js'), 'new Worker(new URL("./w.js", import.meta.url));');
  writeFileSync(join(dir, 'assets', 'emscripten-module-Zz9_x-12.wasm'), WASM);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

/** The nonce the page carries, and the one its policy admits for styles. */
function nonces(page: string, csp: string) {
  return {
    inPage: /name="csp-nonce" content="([^"]+)"/.exec(page)?.[1],
    inPolicy: /style-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1],
  };
}

describe('the playground, served', () => {
  let dir: string;
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    dir = fixtureBuild();
    server = await startServer({ CORRAL_PLAYGROUND_DIR: dir });
    url = server.url;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET / as a browser asks: the page, with a fresh style nonce in it and in its CSP', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const page = await call(url, 'GET', '/', undefined, html);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const csp = page.headers.get('content-security-policy')!;
      const { inPage, inPolicy } = nonces(page.text, csp);
      expect(inPage).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(inPolicy).toBe(inPage);
      expect(page.text).not.toContain(CSP_NONCE_PLACEHOLDER);
      seen.add(inPage!);
    }
    expect(seen.size).toBe(2);
  });

  it('the policy is strict: no unsafe-eval, no inline scripts, WASM and workers from self only', async () => {
    const csp = (await call(url, 'GET', '/', undefined, html)).headers.get('content-security-policy')!;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "worker-src 'self'",
      "img-src 'self' data:",
      "object-src 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
  });

  it('app paths fall back to the page for HTML; JSON clients still get the route list at /', async () => {
    const deep = await call(url, 'GET', '/session/abc', undefined, html);
    expect(deep.status).toBe(200);
    expect(deep.text).toContain('<div id="root">');
    const api = await call(url, 'GET', '/');
    expect(api.body.routes).toContain('POST /v1/rpc');
    expect((await call(url, 'GET', '/session/abc')).status).toBe(404); // not HTML: the JSON 404
  });

  it('assets: JavaScript under the CSP, .wasm as application/wasm, hashed names immutable', async () => {
    const script = await fetch(`${url}/assets/index-AbCd1234.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(script.headers.get('content-security-policy')).toContain("worker-src 'self'");
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const wasm = await fetch(`${url}/assets/emscripten-module-Zz9_x-12.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(WASM);
    const icon = await fetch(`${url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const missing = await call(url, 'GET', '/assets/gone-12345678.js', undefined, html);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'INVALID_REQUEST' } } });
  });

  it('never shadows the API, and counts its requests under route="playground"', async () => {
    const rpc = await call(url, 'GET', '/v1/rpc', undefined, html);
    expect(rpc).toMatchObject({ status: 405, body: { error: { code: 'INVALID_REQUEST' } } });
    expect((await call(url, 'GET', '/healthz', undefined, html)).body).toEqual({ status: 'ok' });
    const metrics = (await call(url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(
      /^corral_http_requests_total\{method="GET",route="playground",status="200"\} \d+/m,
    );
  });

  it('sends HSTS and upgrade-insecure-requests on plain-HTTP loopback: never', async () => {
    const page = await fetch(`${url}/`, { headers: html });
    expect(page.headers.get('strict-transport-security')).toBe(null);
    expect(page.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });
});

describe('TLS-only headers', () => {
  it('with CORRAL_TLS=1, or from a trusted proxy that says https', async () => {
    const tls = await startServer({ CORRAL_TLS: '1' });
    const proxied = await startServer({ CORRAL_TRUST_PROXY: 'loopback' });
    try {
      const direct = await fetch(`${tls.url}/healthz`);
      expect(direct.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(direct.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
      const https = await fetch(`${proxied.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(https.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      const http = await fetch(`${proxied.url}/healthz`, { headers: { 'x-forwarded-proto': 'http' } });
      expect(http.headers.get('strict-transport-security')).toBe(null);
    } finally {
      await Promise.all([tls.close(), proxied.close()]);
    }
  });
});

describe('without a playground build', () => {
  it('/ says so plainly, as a page; the API works all the same', async () => {
    const server = await startServer({ CORRAL_PLAYGROUND_DIR: join(tmpdir(), 'corral-no-such-build') });
    try {
      const page = await call(server.url, 'GET', '/', undefined, html);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toMatch(/the playground is not built; run npm start/i);
      expect((await call(server.url, 'GET', '/readyz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
