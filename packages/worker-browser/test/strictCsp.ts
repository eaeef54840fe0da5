/**
 * The strict Content-Security-Policy the package promises to work under, sent by the test (and
 * bench) server on every response: documents, and scripts too, because a worker's policy comes
 * from its own script's response. Violations are posted to a report-uri the server collects, so a
 * test sees those raised inside workers as well as in the page.
 */
import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';

export const REPORT_PATH = '/__corral/csp-report';
export const STRICT_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  `report-uri ${REPORT_PATH}`,
].join('; ');

/** What a report-uri receives (the legacy `csp-report` shape). */
export interface CspReport {
  'document-uri'?: string;
  'blocked-uri'?: string;
  'violated-directive'?: string;
  'effective-directive'?: string;
  'source-file'?: string;
}

// Kept on globalThis: vitest evaluates the config for its browser server apart from the copy
// whose commands the tests call.
const seen = ((globalThis as { [key: symbol]: unknown })[Symbol.for('corral:test-server')] ??= {
  cspReports: [],
  wasmRequests: [],
}) as { cspReports: CspReport[]; wasmRequests: string[] };
export const cspReports = seen.cspReports;
/** Requests for a .wasm file the server answered: a replacement worker must add none. */
export const wasmRequests = seen.wasmRequests;

// The test runner's own pages carry inline bootstrap scripts and styles; each is allowed by its
// hash, so the policy never needs 'unsafe-inline' (nor 'unsafe-eval', which nothing gets).
function hashes(html: string, tag: 'script' | 'style'): string {
  const element = new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, 'gi');
  return [...html.matchAll(element)]
    .filter(([, attributes, body]) => !/\ssrc=/i.test(attributes!) && body!.length > 0)
    .map(([, , body]) => ` 'sha256-${createHash('sha256').update(body!).digest('base64')}'`)
    .join('');
}

/** The policy for a document whose inline elements are its own (the runner's pages). */
export function policyFor(html: string): string {
  const styles = hashes(html, 'style');
  return (
    STRICT_POLICY.replace("script-src 'self'", `script-src 'self'${hashes(html, 'script')}`) +
    (styles ? `; style-src 'self'${styles}` : '')
  );
}

export function strictCsp(): Plugin {
  return {
    name: 'corral:strict-csp',
    enforce: 'pre',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.startsWith(REPORT_PATH)) {
          let body = '';
          req.on('data', (chunk: Buffer) => (body += chunk.toString()));
          req.on('end', () => {
            try {
              cspReports.push((JSON.parse(body) as { 'csp-report': CspReport })['csp-report']);
              if (process.env.CORRAL_CSP_DEBUG) console.error('CSP', body);
            } catch {
              cspReports.push({ 'violated-directive': `unreadable report: ${body.slice(0, 200)}` });
            }
            res.statusCode = 204;
            res.end();
          });
          return;
        }
        if (req.url && /\.wasm(\?|$)/.test(req.url)) wasmRequests.push(req.url);
        res.setHeader('Content-Security-Policy', STRICT_POLICY);
        // The runner writes a page in one piece before ending it; its headers are still open.
        const write = res.write.bind(res) as (...args: unknown[]) => boolean;
        res.write = ((...args: unknown[]) => {
          const type = String(res.getHeader('content-type') ?? '');
          if (!res.headersSent && type.includes('text/html'))
            res.setHeader('Content-Security-Policy', policyFor(String(args[0])));
          return write(...args);
        }) as typeof res.write;
        const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
        res.end = ((...args: unknown[]) => {
          const type = String(res.getHeader('content-type') ?? '');
          if (!res.headersSent && type.includes('text/html') && args[0] && typeof args[0] !== 'function')
            res.setHeader('Content-Security-Policy', policyFor(String(args[0])));
          return end(...args);
        }) as typeof res.end;
        next();
      });
    },
  };
}
