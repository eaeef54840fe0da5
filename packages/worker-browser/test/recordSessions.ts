/**
 * Prints, as JSON, the recordings of the equivalence sessions: the same 200 seeded sessions
 * apps/server's equivalence test drives, recorded on the in-thread runtime in Node.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { createInProcessSandbox } from '@corral/core';
import { driveSession, equivalenceSessions } from '@corral/core/testing';
import { readFixtures } from './fixtures.js';

const { counter, todo50 } = readFixtures();
const sessions = equivalenceSessions(
  [
    [{ pluginId: 'counter', code: counter, profile: 'generous' }],
    [{ pluginId: 'todo50', code: todo50, profile: 'generous' }],
  ],
  200,
);
const client = await createInProcessSandbox({
  variant: quickjs,
  allowedGlobalActions: ['counter/increment', 'notifications/add'],
});
const recordings = [];
for (const session of sessions) recordings.push(await driveSession(client, session));
await client.close();
process.stdout.write(JSON.stringify(recordings));
