/**
 * @module @corral/core/testing
 * The conformance suite every host runs: in-thread, Node worker, browser worker, HTTP. Written
 * once; the test framework is injected (`{ describe, it, expect, beforeAll, afterAll }`) and
 * the host passes a factory for its SandboxClient.
 */
export {
  defineConformanceSuite,
  type ConformanceOptions,
  type TestFramework,
  type ConformanceFixtures,
} from './suite.js';
export { ATTACKS, FORBIDDEN_GLOBALS, armedPlugin, returning } from './attacks.js';
