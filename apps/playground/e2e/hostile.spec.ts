import { card, expect, openPresets, test } from './fixtures.js';

test('an infinite loop shows LIMIT_TIME while another plugin answers every click within 200 ms', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(page, ['counter', 'loop'], [{ name: 'Counter', text: 'Count: 0' }]);
  const loop = card(page, 'Infinite loop');
  await expect(loop.getByRole('alert')).toContainText('LIMIT_TIME');
  // The loop re-renders every 250 ms and is interrupted at its deadline each time; clicks on
  // the counter land while it runs.
  const counter = card(page, 'Counter');
  const button = counter.getByRole('button', { name: '+1' });
  const timings: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const took = await page.evaluate(async (expected) => {
      const region = [...document.querySelectorAll('section')].find(
        (s) => s.querySelector('h2')?.textContent === 'Counter',
      )!;
      const target = [...region.querySelectorAll('button')].find((b) => b.textContent === '+1')!;
      const started = performance.now();
      return new Promise<number>((resolve) => {
        const seen = () => region.textContent?.includes(`Count: ${expected}`);
        const observer = new MutationObserver(() => {
          if (seen()) {
            observer.disconnect();
            resolve(performance.now() - started);
          }
        });
        observer.observe(region, { subtree: true, childList: true, characterData: true });
        target.click();
      });
    }, i);
    timings.push(took);
  }
  await expect(counter.getByText('Count: 5')).toBeVisible();
  await expect(button).toBeEnabled();
  expect(
    Math.max(...timings),
    `click → DOM times ${timings.map((t) => t.toFixed(0)).join(', ')} ms`,
  ).toBeLessThan(200);
  // The loop was still being interrupted while the clicks went through.
  await page.getByRole('tab', { name: 'Diagnostics' }).click();
  await expect(
    page.getByRole('table', { name: 'Diagnostics' }).getByText('LIMIT_TIME').first(),
  ).toBeVisible();
});

test('a memory bomb shows LIMIT_MEMORY and the page stays usable', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['counter', 'memory'], [{ name: 'Counter', text: 'Count: 0' }]);
  await expect(card(page, 'Memory bomb').getByRole('alert')).toContainText('LIMIT_MEMORY');
  await expect(card(page, 'Memory bomb').getByRole('status', { name: /Status of/ })).toHaveText(
    /degraded|errored/,
  );
  const counter = card(page, 'Counter');
  await counter.getByRole('button', { name: '+1' }).click();
  await expect(counter.getByText('Count: 1')).toBeVisible();
});

test('deep recursion shows LIMIT_STACK', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['recursion', 'counter'], [{ name: 'Counter', text: 'Count: 0' }]);
  await expect(card(page, 'Deep recursion').getByRole('alert')).toContainText('LIMIT_STACK');
  await card(page, 'Counter').getByRole('button', { name: '+1' }).click();
  await expect(card(page, 'Counter').getByText('Count: 1')).toBeVisible();
});

test('a plugin reaching for window, document and fetch finds none of them', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['globals'], [{ name: 'Reaching out', text: 'typeof fetch: undefined' }]);
  const c = card(page, 'Reaching out');
  await expect(c.getByText('typeof window: undefined')).toBeVisible();
  await expect(c.getByText('typeof document: undefined')).toBeVisible();
  await c.getByRole('button', { name: 'Call fetch' }).click();
  await expect(c.getByRole('alert')).toContainText('PLUGIN_THREW');
  await expect(c.getByRole('alert')).toContainText('fetch');
});

test('a malformed UI tree is refused with INVALID_OUTPUT and nothing of it is inserted', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(page, ['malformed'], []);
  const c = card(page, 'Malformed tree');
  await expect(c.getByRole('alert')).toContainText('INVALID_OUTPUT');
  await expect(page.locator('img')).toHaveCount(0);
});

test('a dispatch flood is refused with DISPATCH_LIMIT and applies nothing', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['flood'], [{ name: 'Dispatch flood', text: 'Floods applied: 0' }]);
  const c = card(page, 'Dispatch flood');
  await c.getByRole('button', { name: 'Flood' }).click();
  await expect(c.getByRole('alert')).toContainText('DISPATCH_LIMIT');
  await expect(c.getByText('Floods applied: 0')).toBeVisible();
});

test('an error never moves the widgets below it', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['globals'], [{ name: 'Reaching out', text: 'typeof fetch: undefined' }]);
  const c = card(page, 'Reaching out');
  const before = await c.getByText('typeof window: undefined').boundingBox();
  await c.getByRole('button', { name: 'Call fetch' }).click();
  await expect(c.getByRole('alert')).toContainText('PLUGIN_THREW');
  const after = await c.getByText('typeof window: undefined').boundingBox();
  expect(after?.y).toBe(before?.y);
});
