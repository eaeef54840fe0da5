import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPluginHarness } from '@corral/testkit';

describe.each(['clock.tsx', 'clock.js'])('clock (%s)', (file) => {
  const path = fileURLToPath(new URL(`../src/clock/${file}`, import.meta.url));

  it('asks the host to re-render every second and shows the time each render is given', async () => {
    await using harness = await createPluginHarness(path, { now: Date.UTC(2026, 11, 7, 9, 4, 58) });
    expect(harness.meta.widgets).toEqual([{ id: 'main', title: 'Clock', refreshMs: 1000 }]);
    expect((await harness.render('main')).get({ role: 'heading' }).node).toMatchObject({
      text: '09:04:58 UTC',
    });

    harness.now += 1000;
    expect((await harness.render('main')).texts()).toContain('09:04:59 UTC');
    harness.now += 61_000;
    expect((await harness.render('main')).texts()).toContain('09:06:00 UTC');
  });
});
