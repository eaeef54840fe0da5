/**
 * @module routes/cspReports
 * `POST /csp-reports`: where browsers send Content-Security-Policy violations (the policy's
 * `report-uri`), from the page and from every worker, since each worker script is served with the
 * same policy. Each report is logged at `warn` (fields cut to 200 characters, at most 100 a
 * minute) and counted in
 * `corral_csp_violations_total` by directive, so an operator sees a policy that breaks the
 * playground, and the end-to-end gates fail on any. No API key: browsers send reports on their own.
 */
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { ServerMetrics } from '../metrics.js';

/** The media types of a `report-uri` report and of the Reporting API. */
const REPORT_TYPES = ['application/csp-report', 'application/reports+json', 'application/json'];
const MAX_REPORT_BYTES = 16 * 1024;
/** Reports logged per minute at most (all are counted): a page in a loop cannot flood the log. */
const MAX_LOGGED_PER_MINUTE = 100;

export function createCspReportRouter({
  logger,
  metrics,
}: {
  logger: Logger;
  metrics: ServerMetrics;
}): Router {
  const router = express.Router();
  let minute = 0;
  let logged = 0;
  router.post('/csp-reports', express.json({ type: REPORT_TYPES, limit: MAX_REPORT_BYTES }), (req, res) => {
    for (const report of reportsOf(req.body)) {
      const directive =
        field(report, 'effective-directive', 'effectiveDirective') || field(report, 'violated-directive');
      metrics.cspViolation(directive.split(' ')[0] || 'unknown');
      const now = Math.floor(Date.now() / 60_000);
      if (now !== minute) [minute, logged] = [now, 0];
      if (++logged > MAX_LOGGED_PER_MINUTE) continue;
      logger.warn(
        {
          directive,
          blockedUri: field(report, 'blocked-uri', 'blockedURL'),
          documentUri: field(report, 'document-uri', 'documentURL'),
          sourceFile: field(report, 'source-file', 'sourceFile'),
        },
        'content security policy violation',
      );
    }
    res.status(204).end();
  });
  return router;
}

/** The violation bodies in either format: `{ "csp-report": {…} }`, or Reporting API entries. */
function reportsOf(body: unknown): Record<string, unknown>[] {
  const entries = Array.isArray(body) ? body.slice(0, 20) : [body];
  return entries.flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const inner = (entry as Record<string, unknown>)['csp-report'] ?? (entry as Record<string, unknown>).body;
    return typeof inner === 'object' && inner !== null ? [inner as Record<string, unknown>] : [];
  });
}

function field(report: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) {
    const value = report[name];
    if (typeof value === 'string') return value.slice(0, 200);
  }
  return '';
}
