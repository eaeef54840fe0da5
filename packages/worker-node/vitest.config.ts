import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Real worker_threads and deadline assertions: run files one at a time on a 2-core machine, so
// timings measure the pool, not test files fighting for the CPU.
export default mergeConfig(shared, { test: { fileParallelism: false } });
