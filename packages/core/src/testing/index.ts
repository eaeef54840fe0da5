/**
 * @module @corral/core/testing
 * The conformance suite every host runs: in-thread, Node worker, browser worker, HTTP. Written
 * once; the test framework is injected (`{ describe, it, expect, beforeAll, afterAll }`) and
 * the host passes a factory for its SandboxClient. Also the fake clock core's time-dependent
 * logic is tested with.
 */
export {
  defineConformanceSuite,
  type ConformanceOptions,
  type TestFramework,
  type ConformanceFixtures,
} from './suite.js';
export { createFakeClock, type FakeClock, type FakeClockOptions } from './fakeClock.js';
export { ATTACKS, FORBIDDEN_GLOBALS, armedPlugin, returning } from './attacks.js';
export {
  driveSession,
  equivalenceSessions,
  seededRandom,
  type DriveOptions,
  type DrivenPlugin,
} from './equivalence.js';
