/**
 * Two plugins share the host's global counter. The test plays the host: it accepts
 * `counter/increment`, applies it to its global store, and hands both plugins the new store.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPluginHarness, type Interaction } from '@corral/testkit';

const src = (file: string): string => fileURLToPath(new URL(`../src/shared/${file}`, import.meta.url));

describe.each(['tsx', 'js'])('shared counter pair (.%s)', (ext) => {
  it('a click in either plugin increments the host counter both render', async () => {
    const options = { allowedGlobalActions: ['counter/increment'], globalState: { counter: 0 } };
    await using a = await createPluginHarness(src(`shared-a.${ext}`), options);
    await using b = await createPluginHarness(src(`shared-b.${ext}`), options);
    let store = { counter: 0 };
    const host = (i: Interaction): void => {
      for (const d of i.dispatches) {
        if (d.meta.scope === 'global' && d.meta.accepted && d.type === 'counter/increment') {
          store = { counter: store.counter + (d.payload as { by: number }).by };
        }
      }
      a.globalState = store;
      b.globalState = store;
    };

    host(await (await a.render()).get({ role: 'button', name: 'Increment shared (A)' }).click());
    host(await (await b.render()).get({ role: 'button', name: 'Increment shared (B)' }).click());
    host(await (await a.render()).get({ role: 'button', name: 'Increment shared (A)' }).click());

    expect(store).toEqual({ counter: 3 });
    expect((await a.render()).texts()).toContain('Shared count: 3');
    expect((await b.render()).texts()).toContain('Shared count: 3');
  });

  it('the host refuses the action when it does not allow it, and nothing changes', async () => {
    await using a = await createPluginHarness(src(`shared-a.${ext}`), {
      allowedGlobalActions: [],
      globalState: { counter: 0 },
    });
    const clicked = await (await a.render()).get({ role: 'button', name: 'Increment shared (A)' }).click();
    expect(clicked.dispatches).toEqual([
      expect.objectContaining({
        type: 'counter/increment',
        meta: expect.objectContaining({ accepted: false }),
      }),
    ]);
  });
});
