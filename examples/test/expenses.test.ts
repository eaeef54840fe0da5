import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPluginHarness } from '@corral/testkit';

describe.each(['expenses.tsx', 'expenses.js'])('expenses (%s)', (file) => {
  const path = fileURLToPath(new URL(`../src/expenses/${file}`, import.meta.url));

  it('adds an expense from the inputs and the select to the table, and totals it', async () => {
    await using harness = await createPluginHarness(path);
    const view = await harness.render('main');
    expect(view.get({ role: 'table' }).node).toMatchObject({
      columns: ['What', 'Category', 'Amount'],
      rows: [['Coffee', 'Food', '3.50']],
    });
    expect(view.get({ role: 'status' }).node).toMatchObject({ text: '3.50', tone: 'success' });

    let step = await view.get({ role: 'textbox', name: 'Description' }).input('Train to Lyon');
    step = await step.view.get({ role: 'spinbutton', name: 'Amount' }).input(120.456);
    expect(step.dispatches.map((d) => [d.type, d.payload])).toEqual([['amount', 120.456]]);
    step = await step.view.get({ role: 'combobox', name: 'Category' }).select('travel');
    step = await step.view.get({ role: 'button', name: 'Add expense' }).click();

    expect(step.view.get({ role: 'table' }).node).toMatchObject({
      rows: [
        ['Coffee', 'Food', '3.50'],
        ['Train to Lyon', 'Travel', '120.46'],
      ],
    });
    expect(step.view.get({ role: 'status' }).node).toMatchObject({ text: '123.96', tone: 'warning' });
    expect(step.view.get({ role: 'textbox', name: 'Description' }).node).toMatchObject({ value: '' });
  });

  it('refuses an expense without a description or a positive amount', async () => {
    await using harness = await createPluginHarness(path);
    const typed = await (await harness.render('main')).get({ role: 'spinbutton', name: 'Amount' }).input(5);
    const submitted = await typed.view.get({ role: 'spinbutton', name: 'Amount' }).submit();
    expect(submitted.view.get({ role: 'table' }).node).toMatchObject({ rows: [['Coffee', 'Food', '3.50']] });
    expect(submitted.state).toMatchObject({ amount: '5' });
  });
});
