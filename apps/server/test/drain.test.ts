/**
 * The drain's waiting rule on a fake clock: a shutdown waits for requests in progress, then for
 * SETTLE_MS without arrivals, and never past its timeout — checked to the poll interval, with
 * no real time spent.
 */
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@corral/core/testing';
import { SETTLE_MS, createActivity } from '../src/drain.js';

/** Resolve-state of a promise, readable synchronously. */
function watch(promise: Promise<void>) {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
}

describe('drain', () => {
  it('waits for the request in progress, then for SETTLE_MS of quiet', async () => {
    const clock = createFakeClock();
    const activity = createActivity(clock);
    activity.begin();
    const quiet = watch(activity.quiet(10_000));
    await clock.advance(5_000);
    expect(quiet.done).toBe(false); // still serving
    activity.end();
    await clock.advance(SETTLE_MS - 10);
    expect(quiet.done).toBe(false);
    await clock.advance(20);
    expect(quiet.done).toBe(true);
  });

  it('a new connection restarts the settle time', async () => {
    const clock = createFakeClock();
    const activity = createActivity(clock);
    activity.touch();
    const quiet = watch(activity.quiet(10_000));
    await clock.advance(200);
    activity.touch();
    await clock.advance(200);
    expect(quiet.done).toBe(false);
    await clock.advance(SETTLE_MS);
    expect(quiet.done).toBe(true);
  });

  it('gives up at the drain timeout while a request never ends', async () => {
    const clock = createFakeClock();
    const activity = createActivity(clock);
    activity.begin();
    const quiet = watch(activity.quiet(3_000));
    await clock.advance(2_990);
    expect(quiet.done).toBe(false);
    await clock.advance(10);
    expect(quiet.done).toBe(true);
  });

  it('an untouched server is quiet at once', async () => {
    const clock = createFakeClock();
    const quiet = watch(createActivity(clock).quiet(10_000));
    await clock.settle();
    expect(quiet.done).toBe(true);
  });
});
