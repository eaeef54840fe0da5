/**
 * @module routes/routeTable
 * Every route the server answers, once: `GET /` lists them, and the metrics label a request
 * with its route pattern before any middleware has run, so a request refused on the way in
 * (malformed JSON, 415, 401, 429) is counted under its real route, not `unmatched`.
 */

export const ROUTES = [
  'POST /v1/plugins',
  'POST /v1/plugins/:pluginId/render',
  'POST /v1/plugins/:pluginId/events',
  'DELETE /v1/plugins/:pluginId',
  'POST /v1/rpc',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'POST /csp-reports',
] as const;

const PATTERNS = [...new Set(['/', ...ROUTES.map((route) => route.split(' ')[1]!)])].map((pattern) => ({
  pattern,
  segments: pattern.split('/').slice(1),
}));

/**
 * The route pattern a path falls under (as Express matches: case-insensitive, an optional
 * trailing slash), or null. Patterns only: the label set stays bounded whatever is requested.
 */
export function routeOf(path: string): string | null {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed.split('/').slice(1);
  for (const { pattern, segments: expected } of PATTERNS) {
    if (expected.length !== segments.length) continue;
    const matches = expected.every((part, i) =>
      part.startsWith(':') ? segments[i] !== '' : part === segments[i]!.toLowerCase(),
    );
    if (matches) return pattern;
  }
  return null;
}
