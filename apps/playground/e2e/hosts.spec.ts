import { card, expect, openPresets, test } from './fixtures.js';

test('a plugin switched between the in-browser worker and the server keeps its state and tree', async ({
  page,
  problems,
}) => {
  void problems;
  await openPresets(page, ['todo'], [{ name: 'Todo list', text: '1 of 2 left' }]);
  const todo = card(page, 'Todo list');
  const runsOn = todo.getByLabel('Runs on');
  await expect(runsOn).toHaveValue('worker');
  await todo.getByRole('checkbox', { name: 'Write a widget' }).check();
  await expect(todo.getByText('0 of 2 left')).toBeVisible();
  const onWorker = await todo.locator('.widget').innerHTML();

  await runsOn.selectOption('server');
  await expect(todo.getByRole('status', { name: /Status of/ })).toHaveText('ok');
  await expect(todo.getByText('0 of 2 left')).toBeVisible();
  expect(await todo.locator('.widget').innerHTML()).toBe(onWorker);
  await todo.getByRole('checkbox', { name: 'Write a widget' }).uncheck();
  await expect(todo.getByText('1 of 2 left')).toBeVisible();

  await runsOn.selectOption('worker');
  await expect(todo.getByText('1 of 2 left')).toBeVisible();
});
