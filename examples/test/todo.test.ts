import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPluginHarness } from '@corral/testkit';

const src = (file: string): string => fileURLToPath(new URL(`../src/todo/${file}`, import.meta.url));

describe.each(['todo.tsx', 'todo.js', 'todo.before.js'])('todo (%s)', (file) => {
  it('adds a typed todo, ticks it, removes one, and counts what is left', async () => {
    await using harness = await createPluginHarness(src(file));
    const view = await harness.render('main');
    expect(view.texts()).toContain('1 of 2 left');

    const typed = await view.get({ role: 'textbox', name: 'New todo' }).input('  Ship it ');
    expect(typed.state).toMatchObject({ draft: '  Ship it ' });
    const added = await typed.view.get({ role: 'textbox', name: 'New todo' }).submit();
    expect(added.state).toMatchObject({ draft: '', nextId: 4 });
    expect(added.view.get({ role: 'checkbox', name: 'Ship it' }).node).toMatchObject({ checked: false });
    expect(added.view.texts()).toContain('2 of 3 left');

    const ticked = await added.view.get({ role: 'checkbox', name: 'Ship it' }).click();
    expect(ticked.view.get({ role: 'checkbox', name: 'Ship it' }).node).toMatchObject({ checked: true });
    expect(ticked.view.texts()).toContain('1 of 3 left');

    const removed = await ticked.view.get({ role: 'button', name: 'Remove Read the plugin API' }).click();
    expect(removed.view.query({ role: 'checkbox', name: 'Read the plugin API' })).toBeNull();
    expect(removed.view.texts()).toContain('1 of 2 left');
  });

  it('ignores an empty draft', async () => {
    await using harness = await createPluginHarness(src(file));
    const before = harness.state;
    const added = await (await harness.render('main')).get({ role: 'button', name: 'Add' }).click();
    expect(added.state).toEqual(before);
  });
});

it('the README states the lines, handlers and reducers of todo.before.js and todo.js', async () => {
  const readme = readFileSync(src('README.md'), 'utf8');
  for (const file of ['todo.before.js', 'todo.js']) {
    const row = new RegExp(
      `\\| \`${file.replaceAll('.', '\\.')}\` +\\| (\\d+) +\\| (\\d+) +\\| (\\d+) +\\|`,
    ).exec(readme);
    expect(row, `README.md has a row for ${file}`).not.toBeNull();
    await using harness = await createPluginHarness(src(file));
    const lines = readFileSync(src(file), 'utf8').trimEnd().split('\n').length;
    expect(row!.slice(1).map(Number)).toEqual([
      lines,
      harness.meta.handlers.length,
      harness.meta.reducers.length,
    ]);
  }
});

it('todo.js declares reducers only; todo.before.js a handler for each', async () => {
  await using after = await createPluginHarness(src('todo.js'));
  await using before = await createPluginHarness(src('todo.before.js'));
  expect(after.meta.handlers).toEqual([]);
  expect(after.meta.reducers).toEqual(['draft', 'add', 'toggle', 'remove']);
  expect(before.meta.handlers).toEqual(['onDraft', 'onAdd', 'onToggle', 'onRemove']);
  expect(before.meta.reducers).toEqual(after.meta.reducers);
});
