/**
 * Prints, as JSON, the recordings of the equivalence sessions: the same 210 seeded sessions
 * apps/server's equivalence test drives, recorded on the in-thread runtime in Node.
 */
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { createInProcessSandbox } from '@corral/core';
import { driveSession, equivalenceSessions } from '@corral/core/testing';
import { exampleGroups } from '@corral/examples/catalog';
import { readFixtures } from './fixtures.js';

const { counter, todo50, todo50State } = readFixtures();
const groups = [
  ...exampleGroups(),
  [{ pluginId: 'bench-counter', code: counter }],
  [{ pluginId: 'todo50', code: todo50, state: todo50State }],
].map((group) => group.map((plugin) => ({ ...plugin, profile: 'generous' as const })));
const sessions = equivalenceSessions(groups, 210);
const client = await createInProcessSandbox({
  variant: quickjs,
  allowedGlobalActions: ['counter/increment', 'notifications/add'],
});
const recordings = [];
for (const session of sessions) recordings.push(await driveSession(client, session));
await client.close();
process.stdout.write(JSON.stringify(recordings));
