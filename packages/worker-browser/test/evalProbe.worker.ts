// Probe for csp.test.ts: a worker script served by the test server tries to evaluate a string.
try {
  // eslint-disable-next-line no-new-func, @typescript-eslint/no-implied-eval -- the probe: it must throw
  new Function('return 1')();
  postMessage('evaluated');
} catch (error) {
  postMessage((error as Error).name);
}
