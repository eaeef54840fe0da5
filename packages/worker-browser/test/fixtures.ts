/**
 * The shared benchmark fixtures, read from `../shared/bench` beside the repository (or
 * CORRAL_BENCH_DIR). Core itself reads no files; its tests do.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SessionRecording } from '@corral/contracts';
import type { ConformanceFixtures } from '@corral/core/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const benchDir = process.env.CORRAL_BENCH_DIR ?? join(repoRoot, '..', 'shared', 'bench');

export function readFixtures(): ConformanceFixtures {
  return {
    counter: readFileSync(join(benchDir, 'counter.plugin.js'), 'utf8'),
    todo50: readFileSync(join(benchDir, 'todo50.plugin.js'), 'utf8'),
    todo50State: JSON.parse(readFileSync(join(benchDir, 'todo50.state.json'), 'utf8')),
  };
}

let recorded: Promise<SessionRecording[]> | undefined;

/**
 * The equivalence sessions recorded in Node on the in-thread runtime (`recordSessions.ts`, run
 * from source in a child process: this module is loaded by vitest.config.ts, outside Vite).
 */
export function equivalenceRecordings(): Promise<SessionRecording[]> {
  recorded ??= promisify(execFile)(
    process.execPath,
    [
      '--conditions=@corral/source',
      '--import',
      'tsx',
      join(repoRoot, 'packages/worker-browser/test/recordSessions.ts'),
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  ).then(({ stdout }) => JSON.parse(stdout) as SessionRecording[]);
  return recorded;
}
