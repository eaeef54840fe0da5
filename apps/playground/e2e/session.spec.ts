import type { Locator, Page } from '@playwright/test';
import { card, expect, openPresets, test } from './fixtures.js';

const edited = `definePlugin({
  title: "Edited",
  initialState: { n: 0 },
  reducers: { up: function (s) { return { n: s.n + 10 }; } },
  widgets: { main: { title: "Edited", render: function (ctx) {
    return { kind: "column", children: [
      { kind: "text", text: "Edited: " + ctx.pluginState.n },
      { kind: "button", label: "Up", onClick: { handler: "up" } },
    ] };
  } } },
  handlers: { up: function (ctx) { ctx.dispatchPluginAction("up"); } },
});
`;

async function replaceCode(page: Page, name: string, code: string) {
  const editor = page.getByRole('textbox', { name: `Code of ${name}` });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(code);
}

test('editing the code re-runs the plugin and re-renders it', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['counter'], [{ name: 'Counter', text: 'Count: 0' }]);
  await replaceCode(page, 'Counter', edited);
  const c = card(page, 'Counter');
  await expect(c.getByText('Edited: 0')).toBeVisible();
  await c.getByRole('button', { name: 'Up' }).click();
  await expect(c.getByText('Edited: 10')).toBeVisible();
});

test('a load error shows at its line and column in the editor', async ({ page, problems }) => {
  void problems;
  await openPresets(page, ['counter'], [{ name: 'Counter', text: 'Count: 0' }]);
  await replaceCode(
    page,
    'Counter',
    'definePlugin({\n  widgets: {\n    main: { title: "x" render: 1 },\n  },\n});\n',
  );
  const editorPane = page.getByRole('region', { name: 'Editor' });
  await expect(editorPane.getByRole('status')).toHaveText(/Load failed at line 3, column \d+/);
  await expect(card(page, 'Counter').getByRole('alert')).toContainText('LOAD_FAILED');
  await expect(card(page, 'Counter').getByRole('status', { name: /Status of/ })).toHaveText('errored');
  // Fixing the code brings the plugin back.
  await replaceCode(page, 'Counter', edited);
  await expect(card(page, 'Counter').getByText('Edited: 0')).toBeVisible();
  await expect(card(page, 'Counter').getByRole('alert')).toHaveText('');
});

test('a shared link reopens the same session: code, plugin state and global state', async ({
  page,
  problems,
  context,
}) => {
  void problems;
  await openPresets(page, ['counter', 'shared'], [{ name: 'Counter', text: 'Count: 0' }]);
  const c = card(page, 'Counter');
  for (let i = 1; i <= 3; i++) {
    await c.getByRole('button', { name: '+1' }).click();
    await expect(c.getByText(`Count: ${i}`)).toBeVisible();
  }
  await card(page, 'Shared A').getByRole('button', { name: 'Increment shared (A)' }).click();
  await expect(card(page, 'Shared B').getByText('Shared count: 1')).toBeVisible();
  await expect(page).toHaveURL(/#s1=/);
  await page.waitForTimeout(400); // the hash follows the store after a short debounce
  const link = page.url();

  const other = await context.newPage();
  await other.goto(link);
  await expect(card(other, 'Counter').getByText('Count: 3')).toBeVisible();
  await expect(card(other, 'Shared A').getByText('Shared count: 1')).toBeVisible();
  await expect(card(other, 'Shared B').getByText('Shared count: 1')).toBeVisible();
  await card(other, 'Counter').getByRole('button', { name: '+1' }).click();
  await expect(card(other, 'Counter').getByText('Count: 4')).toBeVisible();
  await other.close();
});

test('a damaged link says why and still opens a working playground', async ({ page, problems }) => {
  void problems;
  await page.goto('/#s1=this-is-not-a-session');
  await expect(page.getByRole('status').filter({ hasText: 'could not be opened' })).toBeVisible();
  await expect(card(page, 'Counter').getByText('Count: 0')).toBeVisible();
});

test('the playground works from the keyboard alone', async ({ page, problems }) => {
  void problems;
  await openPresets(
    page,
    ['counter', 'todo'],
    [
      { name: 'Counter', text: 'Count: 0' },
      { name: 'Todo list', text: '1 of 2 left' },
    ],
  );
  const tabTo = async (target: Locator) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await target.evaluate((el) => el === document.activeElement)) return;
    }
    throw new Error(
      `never reached by Tab (focus on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))})`,
    );
  };
  const counter = card(page, 'Counter');
  await tabTo(counter.getByRole('button', { name: '+1' }));
  await page.keyboard.press('Enter');
  await expect(counter.getByText('Count: 1')).toBeVisible();
  await page.keyboard.press('Space');
  await expect(counter.getByText('Count: 2')).toBeVisible();

  const todo = card(page, 'Todo list');
  await tabTo(todo.getByLabel('New todo'));
  await page.keyboard.type('Walk the dog');
  await page.keyboard.press('Enter');
  await expect(todo.getByRole('checkbox', { name: 'Walk the dog' })).toBeVisible();
  await tabTo(todo.getByRole('checkbox', { name: 'Walk the dog' }));
  await page.keyboard.press('Space');
  await expect(todo.getByRole('checkbox', { name: 'Walk the dog' })).toBeChecked();

  await tabTo(page.getByRole('tab', { name: 'Dispatch log' }));
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Diagnostics' })).toBeFocused();
  await expect(page.getByRole('table', { name: 'Diagnostics' })).toBeVisible();
});
