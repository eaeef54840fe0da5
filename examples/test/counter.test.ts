import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPluginHarness } from '@corral/testkit';

describe.each(['counter.tsx', 'counter.js'])('counter (%s)', (file) => {
  const path = fileURLToPath(new URL(`../src/counter/${file}`, import.meta.url));

  it('counts up and down with buttons that name a reducer, no handler', async () => {
    await using harness = await createPluginHarness(path);
    expect(harness.meta.handlers).toEqual([]);
    const view = await harness.render('main');
    expect(view.texts()).toContain('Count: 0');
    expect(view.get({ role: 'button', name: 'Reset' }).node).toMatchObject({ disabled: true });

    const up = await view.get({ role: 'button', name: '+1' }).click();
    const twice = await up.view.get({ role: 'button', name: '+1' }).click();
    expect(twice.state).toEqual({ count: 2 });
    expect(twice.dispatches.map((d) => [d.type, d.payload, d.meta.accepted])).toEqual([['add', 1, true]]);
    const down = await twice.view.get({ role: 'button', name: '-1' }).click();
    expect(down.view.texts()).toContain('Count: 1');

    const reset = await down.view.get({ role: 'button', name: 'Reset' }).click();
    expect(reset.state).toEqual({ count: 0 });
    expect(reset.view.get({ role: 'button', name: 'Reset' }).node).toMatchObject({ disabled: true });
  });
});
