/**
 * The fourth host of the equivalence property: the 210 random sessions over every example plugin recorded in Node (on the
 * in-thread runtime, the same sessions apps/server replays on a Node worker and over HTTP)
 * replay in Chromium on the browser worker, both engines, to the same trees, states and
 * dispatches.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { replaySession, type SandboxClient } from '@corral/core';
import { createBrowserSandbox } from '@corral/worker-browser';

const GLOBALS = ['counter/increment', 'notifications/add'];
const TOTAL = 210;
const BATCH = 25;

describe('equivalence: the browser worker', () => {
  const clients: SandboxClient[] = [];
  afterAll(() => Promise.all(clients.map((c) => c.close())));

  for (const engine of ['quickjs', 'quickjs-ng'] as const) {
    it(`replays ${TOTAL} sessions recorded in Node identically (${engine})`, async () => {
      const client = await createBrowserSandbox({ poolSize: 1, engine, allowedGlobalActions: GLOBALS });
      clients.push(client);
      let replayed = 0;
      for (let from = 0; from < TOTAL; from += BATCH) {
        for (const [i, recording] of (await commands.equivalenceRecordings(from, from + BATCH)).entries()) {
          const report = await replaySession(recording, client);
          expect({ session: from + i, mismatches: report.mismatches }).toEqual({
            session: from + i,
            mismatches: [],
          });
          replayed += report.calls;
        }
      }
      expect(replayed).toBeGreaterThan(TOTAL * 6);
    }, 600_000);
  }
});
