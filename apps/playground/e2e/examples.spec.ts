import { addPreset, card, expect, openPresets, test } from './fixtures.js';

test('the counter counts clicks', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['counter'], [{ name: 'Counter', text: 'Count: 0' }]);
  const counter = card(page, 'Counter');
  for (let i = 1; i <= 3; i++) {
    await counter.getByRole('button', { name: '+1' }).click();
    await expect(counter.getByText(`Count: ${i}`)).toBeVisible();
  }
  await expect(counter.getByRole('status', { name: /Status of/ })).toHaveText('ok');
});

test('todo items can be added, ticked and removed', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['todo'], [{ name: 'Todo list', text: '1 of 2 left' }]);
  const todo = card(page, 'Todo list');
  await todo.getByLabel('New todo').fill('Buy milk');
  await todo.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(todo.getByRole('checkbox', { name: 'Buy milk' })).not.toBeChecked();
  await expect(todo.getByText('2 of 3 left')).toBeVisible();
  await expect(todo.getByLabel('New todo')).toHaveValue('');

  await todo.getByRole('checkbox', { name: 'Buy milk' }).check();
  await expect(todo.getByText('1 of 3 left')).toBeVisible();
  await expect(todo.getByRole('checkbox', { name: 'Buy milk' })).toBeChecked();

  await todo.getByRole('button', { name: 'Remove Buy milk' }).click();
  await expect(todo.getByRole('checkbox', { name: 'Buy milk' })).toHaveCount(0);
  await expect(todo.getByText('1 of 2 left')).toBeVisible();
});

test('the clock ticks', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['clock'], [{ name: 'Clock', text: /UTC$/ }]);
  const heading = card(page, 'Clock').getByRole('heading', { level: 4 });
  const first = await heading.textContent();
  await expect(heading).not.toHaveText(first!, { timeout: 5000 });
});

test('two plugins share the global counter; each click is one stamped dispatch', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(
    page,
    ['shared'],
    [
      { name: 'Shared A', text: 'Shared count: 0' },
      { name: 'Shared B', text: 'Shared count: 0' },
    ],
  );
  await card(page, 'Shared A').getByRole('button', { name: 'Increment shared (A)' }).click();
  await expect(card(page, 'Shared B').getByText('Shared count: 1')).toBeVisible();
  await card(page, 'Shared B').getByRole('button', { name: 'Increment shared (B)' }).click();
  await card(page, 'Shared A').getByRole('button', { name: 'Increment shared (A)' }).click();
  for (const name of ['Shared A', 'Shared B'])
    await expect(card(page, name).getByText('Shared count: 3')).toBeVisible();
  await expect(page.getByLabel('Global state')).toContainText('3');

  const log = page.getByRole('table', { name: 'Dispatch log' });
  const rows = log.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  const ids = await log.locator('code.dispatch-id').allTextContents();
  expect(new Set(ids).size).toBe(3);
  for (const id of ids)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  for (const row of await rows.all()) {
    await expect(row).toContainText('counter/increment');
    await expect(row).toContainText('global');
    await expect(row).toContainText('accepted');
  }
});

test('the expense tracker takes inputs, a select and shows a table', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['expenses'], [{ name: 'Expenses', text: 'Total' }]);
  const c = card(page, 'Expenses');
  await c.getByLabel('Description').fill('Train');
  await c.getByLabel('Amount').fill('42.5');
  await c.getByLabel('Category').selectOption('travel');
  await c.getByRole('button', { name: 'Add expense' }).click();
  const row = c.getByRole('row', { name: /Train/ });
  await expect(row).toContainText('travel');
  await expect(row).toContainText('42.5');
  await expect(c.getByText('46.00')).toBeVisible();
});

test('a preset added from the toolbar loads and renders', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['counter'], [{ name: 'Counter', text: 'Count: 0' }]);
  await addPreset(page, /^Benchmark widget/);
  await expect(card(page, 'todo50').getByRole('checkbox')).toHaveCount(10);
});
