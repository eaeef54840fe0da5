import { readFile } from 'node:fs/promises';
import { card, expect, openPresets, test } from './fixtures.js';

test('a plugin moved local -> server -> auto shows where each call ran and why, with the same tree', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(page, ['todo'], [{ name: 'Todo list', text: '1 of 2 left' }]);
  const todo = card(page, 'Todo list');
  const runsOn = todo.getByLabel('Runs on');
  const ran = todo.getByLabel('Where Todo list ran');
  await expect(runsOn).toHaveValue('worker');
  await expect(ran).toHaveText('Last render ran on the in-browser worker: placed on local');
  const tree = await todo.locator('.widget').innerHTML();

  await runsOn.selectOption('server');
  await expect(ran).toHaveText('Last render ran on the server: placed on server');
  expect(await todo.locator('.widget').innerHTML()).toBe(tree);

  await runsOn.selectOption('auto');
  await expect(ran).toHaveText(
    'Last render ran on the in-browser worker: auto, design time: local for instant feedback',
  );
  expect(await todo.locator('.widget').innerHTML()).toBe(tree);

  // The diagnostics panel says the same per call, once per call (the router's diagnostics only).
  await page.getByRole('tab', { name: 'Diagnostics' }).click();
  const rows = page.getByRole('table', { name: 'Diagnostics' }).locator('tbody tr');
  await expect(rows.first()).toContainText('auto, design time: local for instant feedback');
  const onServer = rows.filter({ hasText: 'placed on server' });
  await expect(onServer.filter({ hasText: 'render' })).toHaveCount(1);
  await expect(onServer.filter({ hasText: 'loadPlugin' })).toHaveCount(1);
});

test('in production, auto runs on the server', async ({ page, problems }) => {
  void problems;
  await page.goto('/?presets=counter&context=production');
  const counter = card(page, 'Counter');
  await expect(counter.getByText('Count: 0')).toBeVisible();
  await counter.getByLabel('Runs on').selectOption('auto');
  await expect(counter.getByLabel('Where Counter ran')).toHaveText(/on the server/);
  await counter.getByRole('button', { name: '+1' }).click();
  await expect(counter.getByText('Count: 1')).toBeVisible();
  await expect(counter.getByLabel('Where Counter ran')).toHaveText(
    'Last render ran on the server: auto, production: the server is authoritative',
  );
});

test('an exported failing call, imported and replayed, reproduces the failure', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(page, ['loop'], []);
  await expect(card(page, 'Infinite loop').getByRole('alert')).toContainText('LIMIT_TIME');
  await page.getByRole('tab', { name: 'Replay' }).click();
  await page.getByRole('button', { name: 'Latest failure' }).click();
  const recorded = page.getByLabel('Recorded call');
  await expect(recorded).toContainText('render of Infinite loop');
  await expect(recorded).toContainText('LIMIT_TIME');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export this call' }).click(),
  ]);
  const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
    version: number;
    calls: { error?: { code: string } }[];
  };
  expect(file.version).toBe(1);
  expect(file.calls).toHaveLength(1);
  expect(file.calls[0]!.error?.code).toBe('LIMIT_TIME');

  for (const side of ['worker', 'server']) {
    await page.getByLabel('Replay on').selectOption(side);
    await page.getByLabel('Import a replay file').setInputFiles({
      name: 'call.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(file)),
    });
    await expect(page.getByLabel('Replay report')).toHaveText('Replayed 1 call: 0 mismatches');
  }

  // An edited file is refused, not replayed.
  const edited = JSON.parse(JSON.stringify(file)) as { plugins: { code: string }[] };
  edited.plugins[0]!.code += '\n// edited';
  await page.getByLabel('Import a replay file').setInputFiles({
    name: 'edited.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(edited)),
  });
  await expect(page.getByLabel('Replay report')).toContainText('The file could not be replayed');
});

test('stepping through the replay shows the state each call was given and what came back', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(page, ['counter'], [{ name: 'Counter', text: 'Count: 0' }]);
  const counter = card(page, 'Counter');
  for (const n of [1, 2, 3]) {
    await counter.getByRole('button', { name: '+1' }).click();
    await expect(counter.getByText(`Count: ${n}`)).toBeVisible();
  }
  await page.getByRole('tab', { name: 'Replay' }).click();
  // The first dispatch was stamped by the first click: the count was 0 before it and 1 after.
  await page.getByLabel('Jump to dispatch').selectOption({ index: 1 });
  const recorded = page.getByLabel('Recorded call');
  await expect(recorded).toContainText('event of Counter (inc on main)');
  await expect(page.getByLabel('Plugin state before')).toHaveText(/"count": 0/);
  await expect(page.getByLabel('Global state before')).toHaveText(/"counter": 0/);
  await expect(page.getByLabel('After')).toHaveText(/"count": 1/);

  await page.getByRole('button', { name: 'Next' }).click();
  await expect(recorded).toContainText('render of Counter');
  await expect(page.getByLabel('After')).toContainText('Count: 1');

  // The arrow keys step too.
  await page.getByRole('button', { name: 'Previous' }).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(recorded).toContainText('event of Counter');
  await expect(page.getByLabel('Plugin state before')).toHaveText(/"count": 0/);
});
