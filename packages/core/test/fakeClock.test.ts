import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@corral/core/testing';

describe('createFakeClock', () => {
  it('runs due timers in due order, each at its own time, and leaves later ones', async () => {
    const clock = createFakeClock({ now: 100, epoch: 5_000 });
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push('late'), 31);
    await clock.advance(30);
    expect(ran).toEqual(['a@110', 'b@120', 'c@120']);
    expect(clock.now()).toBe(130);
    expect(clock.epochNow()).toBe(5_030);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('runs timers set by callbacks and their promise continuations within the window', async () => {
    const clock = createFakeClock();
    const ran: number[] = [];
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(10);
        ran.push(clock.now());
      }
    })();
    await clock.advance(25);
    expect(ran).toEqual([10, 20]);
    await clock.advance(5);
    expect(ran).toEqual([10, 20, 30]);
  });

  it('never runs a cleared timer', async () => {
    const clock = createFakeClock();
    let ran = false;
    const handle = clock.setTimeout(() => (ran = true), 5);
    clock.clearTimeout(handle);
    await clock.advance(10);
    expect(ran).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });
});
