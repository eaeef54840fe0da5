/**
 * The policy is real and its violations are seen: the page and every worker script are served
 * under the strict CSP, and violations in the page and inside workers reach the report-uri that
 * the other tests require to stay empty.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import type { CspReport } from './strictCsp.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait for the report `match` picks out (reports leave the browser asynchronously). */
async function reported(match: (report: CspReport) => boolean): Promise<CspReport | undefined> {
  for (let i = 0; i < 250; i++) {
    const found = (await commands.cspReports()).find(match);
    if (found) return found;
    await sleep(20);
  }
  return undefined;
}

describe('the strict CSP the tests run under', () => {
  // Leave none of the violations caused here for the tests that require zero.
  afterAll(() => commands.cspReports(true).then(() => undefined));

  it('forbids eval in the page, and reports it', async () => {
    // eslint-disable-next-line no-new-func, @typescript-eslint/no-implied-eval -- the probe: it must throw
    expect(() => new Function('return 1')).toThrow(EvalError);
    const report = await reported((r) => r['source-file']?.endsWith('csp.test.ts') === true);
    expect(report).toMatchObject({ 'effective-directive': 'script-src', 'blocked-uri': 'eval' });
  });

  it('forbids eval in a worker, whose policy comes from its own script, and reports it', async () => {
    const worker = new Worker(new URL('./evalProbe.worker.ts', import.meta.url), { type: 'module' });
    const answer = await new Promise<unknown>((resolve) =>
      worker.addEventListener('message', (e) => resolve(e.data)),
    );
    worker.terminate();
    expect(answer).toBe('EvalError');
    const report = await reported((r) => r['document-uri']?.includes('evalProbe.worker') === true);
    expect(report).toMatchObject({ 'effective-directive': 'script-src', 'blocked-uri': 'eval' });
  });

  it('forbids a worker from a blob: URL (worker-src), and reports it', async () => {
    const url = URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' }));
    const worker = new Worker(url);
    const outcome = await new Promise<string>((resolve) => {
      worker.addEventListener('error', () => resolve('error'));
      worker.addEventListener('message', () => resolve('ran'));
    });
    URL.revokeObjectURL(url);
    expect(outcome).toBe('error');
    const report = await reported((r) => r['blocked-uri'] === 'blob');
    expect(report).toMatchObject({ 'effective-directive': 'worker-src' });
  });
});
