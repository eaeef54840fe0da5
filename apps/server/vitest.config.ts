import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Every file boots real servers with worker threads on 2 cores, and the conformance suite
// asserts deadlines: run files one at a time.
export default mergeConfig(shared, { test: { fileParallelism: false } });
