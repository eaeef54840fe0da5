/**
 * The page every gate uses: it records console errors, uncaught page errors and CSP
 * violations (a `securitypolicyviolation` listener installed before any script runs; Chromium
 * does not surface those as Playwright events) and fails the test on any of them. Violations
 * inside workers reach the server's `report-uri` (`/csp-reports`), which counts them in
 * `corral_csp_violations_total`: the count must not move during a test.
 */
import { test as base, expect, type Locator, type Page } from '@playwright/test';

declare global {
  interface Window {
    __cspViolations: string[];
  }
}

/** Every CSP violation the server has been sent so far (page and workers alike). */
export async function reportedViolations(baseURL: string): Promise<number> {
  const metrics = await (await fetch(new URL('/metrics', baseURL))).text();
  return [...metrics.matchAll(/^corral_csp_violations_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

export const test = base.extend<{ problems: string[] }>({
  problems: async ({ page, baseURL }, use) => {
    const problems: string[] = [];
    const reportedBefore = await reportedViolations(baseURL!);
    // The server answers a contract failure (LIMIT_TIME, PLUGIN_THREW, …) on /v1/rpc with the
    // code table's HTTP status, and Chromium logs every non-2xx fetch as a console error. Those
    // lines are accepted only for RPC responses whose body is a typed contract failure, which
    // the page shows as the plugin's error; any other failed response is a problem.
    const rpcFailures: Promise<void>[] = [];
    page.on('response', (r) => {
      if (!r.url().endsWith('/v1/rpc') || r.status() < 400) return;
      rpcFailures.push(
        r.text().then(
          (text) => {
            const last = JSON.parse(text.trimEnd().split('\n').at(-1) ?? 'null') as {
              ok?: boolean;
              error?: { code?: string };
            } | null;
            if (last?.ok !== false || typeof last.error?.code !== 'string')
              problems.push(`rpc ${r.status()} without a contract failure: ${text.slice(0, 200)}`);
          },
          () => undefined,
        ),
      );
    });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const rpcStatus = /^Failed to load resource: the server responded with a status of \d+/.test(m.text());
      if (rpcStatus && m.location().url.endsWith('/v1/rpc')) return;
      problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('worker', (w) => {
      const worker = w as unknown as {
        on?: (e: string, f: (m: { type(): string; text(): string }) => void) => void;
      };
      worker.on?.('console', (m) => {
        if (m.type() === 'error') problems.push(`worker console: ${m.text()}`);
      });
    });
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await use(problems);
    await Promise.all(rpcFailures);
    const violations = await page.evaluate(() => window.__cspViolations).catch(() => [] as string[]);
    // Browsers send reports asynchronously: a moment for any still on its way.
    await page.waitForTimeout(250);
    const reported = (await reportedViolations(baseURL!)) - reportedBefore;
    if (reported > 0)
      violations.push(`${reported} reported to /csp-reports (page or worker; see the server log)`);
    expect([...problems, ...violations.map((v) => `csp: ${v}`)], 'console errors and CSP violations').toEqual(
      [],
    );
  },
});

export { expect };

/** A plugin's card, by the name shown in its heading. */
export function card(page: Page, name: string | RegExp): Locator {
  return page.getByRole('region', typeof name === 'string' ? { name, exact: true } : { name });
}

/** Open a fresh session holding the given presets, and wait until each plugin rendered. */
export async function openPresets(
  page: Page,
  presets: string[],
  ready: { name: string; text: string | RegExp }[],
) {
  await page.goto(`/?presets=${presets.join(',')}`);
  for (const r of ready) await expect(card(page, r.name).getByText(r.text)).toBeVisible();
}

/** Add a preset through the toolbar, as a person would. */
export async function addPreset(page: Page, label: RegExp) {
  await page.getByLabel('Preset').selectOption({ label: (await optionLabel(page, label))! });
  await page.getByRole('button', { name: 'Add plugin' }).click();
}

async function optionLabel(page: Page, label: RegExp) {
  const options = await page.getByLabel('Preset').locator('option').allTextContents();
  return options.find((o) => label.test(o));
}
