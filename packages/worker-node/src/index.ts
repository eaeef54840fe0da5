/**
 * @module @corral/worker-node
 * Corral's Node host: core's runtime in a pool of worker_threads — plugin affinity, a hard
 * kill for calls the QuickJS interrupt cannot stop, a hot spare and `resourceLimits` as a
 * second memory wall. Returns core's SandboxClient, like every other host.
 */
export { createNodeSandbox, type NodeSandbox, type NodeSandboxOptions } from './createNodeSandbox.js';
