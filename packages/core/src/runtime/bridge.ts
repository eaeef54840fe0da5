/**
 * @module bridge
 * The host functions a plugin's bootstrap calls (dispatch refusals, log lines, `now`), installed
 * on a context's global object before the bootstrap runs and removed from it by the bootstrap.
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core';
import { CorralError } from '@corral/contracts';

/** Receives what a plugin's bridge calls report during one call. */
export interface CallSink {
  dispatch(scope: 'plugin' | 'global', type: string, payloadJson: string): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  callNow(): number;
}

/** The VM's side of the bridge: the current call's sink and its host-side refusal. */
export interface BridgeHost {
  /** The sink of the call in progress (null between calls). */
  sink(): CallSink | null;
  /** The refusal that already ended the call, if any. */
  refusal(): CorralError | null;
  /** Remember a host-side refusal: the call fails with it whatever the plugin does next. */
  refuse(failure: CorralError): void;
}

export function installBridge(ctx: QuickJSContext, host: BridgeHost): void {
  const bridge: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle | void> = {
    hostDispatchPlugin: (type, payload) =>
      host.sink()?.dispatch('plugin', ctx.getString(type!), ctx.getString(payload!)),
    hostDispatchGlobal: (type, payload) =>
      host.sink()?.dispatch('global', ctx.getString(type!), ctx.getString(payload!)),
    hostNow: () => ctx.newNumber(host.sink()?.callNow() ?? 0),
    hostLog: (level, message) =>
      host.sink()?.log(ctx.getString(level!) as 'debug' | 'info' | 'warn' | 'error', ctx.getString(message!)),
  };
  for (const [name, fn] of Object.entries(bridge)) {
    const handle = ctx.newFunction(name, (...args) => {
      // Once refused, the call is over: later bridge calls return at once instead of
      // building another VM error per call (a plugin may loop, catching them).
      if (host.refusal()) return;
      try {
        return fn(...args);
      } catch (error) {
        // A host-side refusal (e.g. DISPATCH_LIMIT) is remembered: the plugin may catch the
        // VM error, but the call fails anyway.
        const failure = CorralError.fromUnknown(error);
        host.refuse(failure);
        throw new Error(failure.message);
      }
    });
    ctx.setProp(ctx.global, name, handle);
    handle.dispose();
  }
}
