/**
 * After every gate: no CSP violation reached the server's `/csp-reports` during the whole run,
 * including reports a browser sent after their test had ended.
 */
import type { FullConfig } from '@playwright/test';
import { reportedViolations } from './fixtures.js';

export default async function globalTeardown(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]?.use.baseURL;
  if (!baseURL) throw new Error('playwright.config.ts sets no baseURL');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const reported = await reportedViolations(baseURL);
  if (reported > 0)
    throw new Error(`${reported} CSP violation(s) were reported to /csp-reports during the run`);
}
