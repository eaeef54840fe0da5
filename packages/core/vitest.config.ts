import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Deadline assertions (deadline + 10 ms) are about the runtime, not about test files fighting
// for 2 cores: run files one at a time.
export default mergeConfig(shared, { test: { fileParallelism: false } });
