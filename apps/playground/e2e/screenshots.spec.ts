import { card, expect, openPresets, test } from './fixtures.js';

for (const theme of ['light', 'dark'] as const) {
  test(`screenshot: a working session with a hostile plugin (${theme})`, async ({ page, problems }, info) => {
    void problems;
    await page.setViewportSize({ width: 1440, height: 900 });
    await openPresets(
      page,
      ['counter', 'recursion', 'shared', 'expenses'],
      [
        { name: 'Counter', text: 'Count: 0' },
        { name: 'Shared A', text: 'Shared count: 0' },
      ],
    );
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    if ((await toggle.getAttribute('aria-pressed')) !== String(theme === 'dark')) await toggle.click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    for (let i = 1; i <= 2; i++) {
      await card(page, 'Counter').getByRole('button', { name: '+1' }).click();
      await expect(card(page, 'Counter').getByText(`Count: ${i}`)).toBeVisible();
    }
    await card(page, 'Shared A').getByRole('button', { name: 'Increment shared (A)' }).click();
    await expect(card(page, 'Shared B').getByText('Shared count: 1')).toBeVisible();
    await expect(card(page, 'Deep recursion').getByRole('alert')).toContainText('LIMIT_STACK');
    await page.getByRole('button', { name: 'Edit' }).first().click();
    await expect(page.getByRole('textbox', { name: 'Code of Counter' })).toBeVisible();
    const path = info.outputPath(`playground-${theme}.png`);
    await page.screenshot({ path });
    await info.attach(`playground-${theme}`, { path, contentType: 'image/png' });
  });
}
