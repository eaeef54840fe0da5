/**
 * The host's count of each plugin's failures, on a fake clock: the threshold, the window, what
 * is charged and what a reload clears.
 */
import { describe, expect, it } from 'vitest';
import { CorralError } from '@corral/contracts';
import { createFailureLedger } from '@corral/core';
import { createFakeClock } from '@corral/core/testing';

const kill = () => new CorralError('LIMIT_TIME', 'overran', { killed: true });

describe('FailureLedger', () => {
  it('opens after count failures inside the window, and forgets failures past it', async () => {
    const clock = createFakeClock();
    const ledger = createFailureLedger(clock, { count: 3, windowMs: 1000 });
    ledger.charge('p', new CorralError('LIMIT_MEMORY', 'oom'));
    await clock.advance(600);
    ledger.charge('p', new CorralError('LIMIT_STACK', 'deep'));
    await clock.advance(500); // the first failure is out of the window now
    ledger.charge('p', kill());
    expect(ledger.refusal('p')).toBeNull();
    expect(ledger.recentFailures('p')).toBe(2);
    ledger.charge('p', new CorralError('WORKER_CRASHED', 'gone'));
    expect(ledger.refusal('p')).toMatchObject({
      code: 'PLUGIN_ERRORED',
      details: { pluginId: 'p', recentFailures: 3, recentKills: 2 },
    });
    // Open until reloaded, however long it waits.
    await clock.advance(10_000);
    expect(ledger.refusal('p')?.code).toBe('PLUGIN_ERRORED');
  });

  it("charges limits, kills and crashes, never the plugin's own errors or the caller's", () => {
    const ledger = createFailureLedger(createFakeClock(), { count: 1, windowMs: 1000 });
    for (const code of [
      'PLUGIN_THREW',
      'INVALID_OUTPUT',
      'CANCELLED',
      'INVALID_REQUEST',
      'UNKNOWN_PLUGIN',
    ] as const) {
      ledger.charge('p', new CorralError(code, 'x'));
    }
    ledger.charge('p', new Error('not a CorralError'));
    expect(ledger.refusal('p')).toBeNull();
    ledger.charge('p', new CorralError('LIMIT_TIME', 'interrupted', { killed: false }));
    expect(ledger.refusal('p')?.code).toBe('PLUGIN_ERRORED');
    expect(ledger.killedRecently('p')).toBe(false);
  });

  it('a worker that says PLUGIN_ERRORED opens the circuit at once', () => {
    const ledger = createFailureLedger(createFakeClock());
    ledger.charge('p', new CorralError('PLUGIN_ERRORED', 'disabled'));
    expect(ledger.refusal('p')?.code).toBe('PLUGIN_ERRORED');
    expect(ledger.refusal('q')).toBeNull();
  });

  it('a reload closes the circuit but keeps the kills on record until the window passes', async () => {
    const clock = createFakeClock();
    const ledger = createFailureLedger(clock, { count: 2, windowMs: 1000 });
    ledger.charge('p', kill());
    ledger.charge('p', kill());
    expect(ledger.refusal('p')?.code).toBe('PLUGIN_ERRORED');
    ledger.reset('p');
    expect(ledger.refusal('p')).toBeNull();
    expect(ledger.recentFailures('p')).toBe(0);
    expect(ledger.killedRecently('p')).toBe(true);
    await clock.advance(1000);
    expect(ledger.killedRecently('p')).toBe(false);
  });
});
