/**
 * Graceful shutdown, end to end: `main.ts` as a child process (the entry `pnpm start` runs,
 * from source), a burst of slow requests in flight, then SIGTERM. Every request already
 * accepted completes, new connections are refused, and the process exits 0.
 */
import { describe, expect, it } from 'vitest';
import { call, spinning, startMain } from './helpers.js';

describe('SIGTERM', () => {
  it('drains every in-flight request, refuses new connections, closes the workers, exits 0', async () => {
    const main = startMain({ CORRAL_POOL_SIZE: '1' });
    const url = await main.url;
    const { body } = await call(url, 'POST', '/v1/plugins', { code: spinning, profile: 'generous' });
    const path = `/v1/plugins/${body.pluginId}/render`;
    // One worker, 30 renders of ~10-30 ms each: most of them wait in the queue when SIGTERM lands.
    const inFlight = Array.from({ length: 30 }, () =>
      call(url, 'POST', path, { widgetId: 'main', pluginState: { spins: 50_000 }, globalState: {} }).then(
        (a) => `${a.status} ${a.body?.tree?.text}`,
        (e: Error) => `${e.message}: ${String((e.cause as Error)?.message)}`,
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    main.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    const code = await main.exited;
    expect(answers, main.output()).toEqual(Array(30).fill('200 done'));
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('exits 1 with a message naming a bad variable', async () => {
    const main = startMain({ CORRAL_MAX_QUEUE: 'lots' });
    await expect(main.url).rejects.toThrow(/CORRAL_MAX_QUEUE must be an integer/);
    expect(await main.exited).toBe(1);
  });
});
