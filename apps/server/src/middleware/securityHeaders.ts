/**
 * @module middleware/securityHeaders
 * helmet's headers and the Content-Security-Policy, on every response — JavaScript included,
 * since a worker's CSP comes from its own script's response headers. The policy is strict
 * enough for the playground (WebAssembly, module workers, CodeMirror's injected styles through
 * a per-response nonce) and nothing more: never `'unsafe-eval'`, no inline scripts. HSTS and
 * `upgrade-insecure-requests` only when clients reach the server over TLS: on plain-HTTP
 * loopback they would make a browser try `https://127.0.0.1` and fail.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export interface SecurityHeadersOptions {
  /** Clients always reach the server over TLS (`CORRAL_TLS`). */
  tls: boolean;
  /** Whether `trust proxy` is on, so `x-forwarded-proto: https` makes a request secure. */
  trustProxy: boolean;
}

const DIRECTIVES: [string, string][] = [
  ['default-src', "'self'"],
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['worker-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'self'"],
  ['form-action', "'self'"],
  ['frame-ancestors', "'self'"],
  ['script-src-attr', "'none'"],
  // Browsers report violations here (routes/cspReports.ts): logged and counted.
  ['report-uri', '/csp-reports'],
];

/** The policy for a response; `styleNonce` admits the `<style>` elements carrying it. */
export function contentSecurityPolicy({ secure, styleNonce }: { secure: boolean; styleNonce?: string }) {
  const directives = DIRECTIVES.map(([name, value]) =>
    name === 'style-src' && styleNonce ? `${name} ${value} 'nonce-${styleNonce}'` : `${name} ${value}`,
  );
  if (secure) directives.push('upgrade-insecure-requests');
  return directives.join('; ');
}

export function securityHeaders({ tls, trustProxy }: SecurityHeadersOptions): RequestHandler {
  // helmet's headers do not depend on the request: computed once per variant, then set as is.
  const variants = [false, true].map((secure) => [
    ...headersOf(helmet({ contentSecurityPolicy: false, strictTransportSecurity: secure })),
    ['content-security-policy', contentSecurityPolicy({ secure })] as const,
  ]);
  return (req, res, next) => {
    const secure = tls || (trustProxy && req.secure);
    res.locals.secure = secure;
    for (const [name, value] of variants[secure ? 1 : 0]!) res.setHeader(name, value);
    next();
  };
}

/**
 * The headers a middleware sets on every response, captured once by running it against a stub
 * (helmet's are static: it reads nothing from the request).
 */
function headersOf(middleware: (req: never, res: never, next: (error?: unknown) => void) => void) {
  const headers = new Map<string, string | number | readonly string[]>();
  const stub = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.set(name, value),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let called = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, stub as never, (error) => {
    if (error) throw error;
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously');
  return [...headers];
}
