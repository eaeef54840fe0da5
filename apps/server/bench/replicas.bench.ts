/**
 * @module replicas.bench
 * `pnpm bench`, second part (not a test): N = 1, 2, 3 compiled replicas behind Debian's nginx
 * under virtual users of core's HTTP client, then one of three SIGKILLed mid-load (replicas.ts).
 * It writes its own part of RESULTS.md (@corral/bench-kit keeps server.bench.ts's part). Env:
 * CORRAL_BENCH_SECONDS (default 10: the kill scenario; throughput rounds are half of it),
 * CORRAL_BENCH_ROUNDS (default 3), CORRAL_BENCH_USERS (default 12).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResults } from '@corral/bench-kit';
import { measureReplicas } from './replicas.js';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.env.CORRAL_BENCH_SECONDS ?? 10);
const users = Number(process.env.CORRAL_BENCH_USERS ?? 12);
const rounds = Math.max(1, Number(process.env.CORRAL_BENCH_ROUNDS ?? 3));
console.log(`replicas bench: ${seconds} s per scenario, ${users} virtual users, loopback`);
const tables = await measureReplicas({ seconds, users, rounds });
const written = await writeResults(serverDir, {
  name: '@corral/server',
  script: 'bench/replicas.bench.ts',
  engine: process.env.CORRAL_ENGINE ?? 'quickjs',
  build: 'dist (`node dist/main.js`) per replica, one worker thread each, no quarantine lane',
  floor: 'one replica answering the same load directly, without nginx, in the same run.',
  tables,
});
if (written) console.log(`results written to ${written}`);
