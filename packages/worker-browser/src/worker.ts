/**
 * @module worker
 * The Web Worker entry (a module worker): the host's first message is the boot data, then core's
 * worker runtime (`startWorkerRuntime`) serves on this worker's global scope.
 */
import { startWorkerRuntime, type WorkerBoot } from '@corral/core';

// V8 gives every Chromium thread, workers included, a 984 KiB JavaScript stack, and a page cannot
// raise it; core caps each plugin's QuickJS stack at 1/32 of this (see the README's stack section).
const HOST_STACK_BYTES = 984 * 1024;

const port = {
  postMessage: (message: unknown) => postMessage(message),
  on(listener: (message: unknown) => void) {
    const onMessage = (event: MessageEvent): void => listener(event.data);
    addEventListener('message', onMessage);
    return () => removeEventListener('message', onMessage);
  },
};
// A boot that fails is rethrown as an uncaught error: that fires `error` on the host's Worker,
// which ends it at once (a rejected promise would leave the host waiting for the boot timeout).
addEventListener(
  'message',
  (event: MessageEvent<WorkerBoot>) =>
    void startWorkerRuntime({ boot: event.data, port, hostStackBytes: HOST_STACK_BYTES }).catch(
      (error: unknown) =>
        setTimeout(() => {
          throw error;
        }),
    ),
  { once: true },
);
