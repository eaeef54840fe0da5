/**
 * The shared benchmark fixtures, read from `../shared/bench` beside the repository (or
 * CORRAL_BENCH_DIR). Core itself reads no files; its tests do.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
