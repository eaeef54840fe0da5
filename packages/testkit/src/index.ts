/**
 * @module @corral/testkit
 * Headless tests for Corral plugins on the real runtime, in any test runner.
 */
export {
  createPluginHarness,
  TEST_DEADLINE_MS,
  type FoundNode,
  type Interaction,
  type NodeQuery,
  type NodeRole,
  type PluginHarness,
  type PluginHarnessOptions,
  type RenderedWidget,
} from './createPluginHarness.js';
