/**
 * @module routes/playground
 * The built playground, served beside the API: its `index.html` at `/` (and, as a single-page
 * app, at any other page path) for a client that asks for HTML, and its assets — `.wasm` as
 * `application/wasm`, hashed names cached for good. Every response carries the strict CSP (the
 * security headers run first); the page gets a fresh nonce for CodeMirror's `<style>` elements,
 * written into its `<meta name="csp-nonce" content="__CSP_NONCE__">` (see CSP_NONCE_PLACEHOLDER)
 * for the app to hand to `EditorView.cspNonce`. Without a build, a page says how to make one.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { contentSecurityPolicy } from '../middleware/securityHeaders.js';

export interface PlaygroundOptions {
  /** The playground's build output (holds `index.html`). */
  dir: string;
}

/** Replaced in `index.html` by each response's style nonce. */
export const CSP_NONCE_PLACEHOLDER = '__CSP_NONCE__';
/** The route label of the playground's pages and assets in the metrics. */
const ROUTE = 'playground';
/** Paths the API owns: never a page, never a file. */
const API_PATHS = /^\/(v1(\/|$)|healthz$|readyz$|metrics$)/i;
/** Vite's content-hashed output names: `assets/<name>-<hash>.<ext>`. */
const HASHED = /[/\\]assets[/\\][^/\\]+-[\w-]{8,}\.\w+$/;
const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Corral: the playground is not built</title></head>
<body>
<h1>The playground is not built; run npm start</h1>
<p>Run <code>npm start</code> at the repository root: it builds the playground and the server,
and serves both here. (Or point <code>CORRAL_PLAYGROUND_DIR</code> at a built playground.)</p>
<p>The API is served all the same: <a href="/readyz">/readyz</a>, <code>POST /v1/rpc</code>.</p>
</body>
</html>
`;

export function createPlaygroundRoutes({ dir }: PlaygroundOptions): RequestHandler[] {
  const page = createPage(join(dir, 'index.html'));
  const assets = express.static(dir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    setHeaders(res, path) {
      (res as Response).locals.route = ROUTE;
      res.setHeader('cache-control', HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const files: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATHS.test(req.path)) return next();
    if (req.path === '/index.html') return void sendPage(req, res, page).catch(next);
    assets(req, res, next);
  };
  // A page path (no file extension) asked for as HTML is the app's; the app routes it.
  const pages: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (API_PATHS.test(req.path) || /\.[^/]*$/.test(req.path) || !wantsHtml(req)) return next();
    sendPage(req, res, page).catch(next);
  };
  return [files, pages];
}

function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

async function sendPage(req: Request, res: Response, page: () => Promise<string | null>) {
  const html = await page();
  res.locals.route = ROUTE;
  res.type('html').setHeader('cache-control', 'no-store');
  if (html === null) return void res.status(503).send(NOT_BUILT);
  const nonce = randomBytes(16).toString('base64');
  const secure = res.locals.secure === true;
  res.setHeader('content-security-policy', contentSecurityPolicy({ secure, styleNonce: nonce }));
  res.status(200).send(html.replaceAll(CSP_NONCE_PLACEHOLDER, nonce));
}

/** `index.html`, re-read when the build changes it; null while there is none. */
function createPage(path: string): () => Promise<string | null> {
  let cached: { mtimeMs: number; text: string } | null = null;
  return async () => {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return (cached = null);
    if (cached?.mtimeMs !== info.mtimeMs)
      cached = { mtimeMs: info.mtimeMs, text: await readFile(path, 'utf8') };
    return cached.text;
  };
}
