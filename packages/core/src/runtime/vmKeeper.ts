/**
 * @module vmKeeper
 * The runtime's QuickJS module and the lives of its plugin VMs: a spare VM booted while the
 * runtime is idle, VMs retired by a timed-out call and freed after it has answered, and the
 * replacement of a poisoned module. A VM whose module is in doubt is dropped, never disposed:
 * freeing runtimes of a module in doubt is what aborts it.
 */
import type { QuickJSSyncVariant, QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { Clock } from '../clock.js';
import { Engine } from './engine.js';
import { PluginVm } from './pluginVm.js';

/** How the keeper builds its module. */
export interface VmKeeperOptions {
  variant: QuickJSSyncVariant;
  wasmModule?: WebAssembly.Module;
  heapLimitBytes: number;
  clock: Clock;
  /** See `EngineOptions.tierUp`. */
  tierUp?: boolean;
  /** Called with every QuickJS module built (e.g. for leak checks). */
  onModule?: (module: QuickJSWASMModule) => void;
}

export class VmKeeper {
  /** How many times the module has been replaced. */
  moduleRestarts = 0;
  private current: Engine | null = null;
  /** VMs of calls that ran out of time, freed once the call has answered (see `retire`). */
  private retired: PluginVm[] = [];
  /** A booted VM waiting for the next load, and the timer that builds one. */
  private spare: PluginVm | null = null;
  private spareTimer: unknown = null;
  private retireTimer = false;
  private disposed = false;

  constructor(private readonly options: VmKeeperOptions) {}

  /** Build the first module and the first spare VM. */
  async start(): Promise<void> {
    this.current = await this.newEngine();
    this.buildSpare();
  }

  /** The live module (throws once disposed). */
  get engine(): Engine {
    if (!this.current) throw new Error('the runtime has been disposed');
    return this.current;
  }

  /** Whether the module must be replaced before the next call. */
  get poisoned(): boolean {
    return this.current?.poisoned ?? false;
  }

  /**
   * A booted VM for a plugin: the spare built while the runtime was idle if there is one (a
   * load then skips runtime creation and the bootstrap, most of its cost), else a new one.
   * Either way the next spare is built once the current task is over.
   */
  fresh(): PluginVm {
    const engine = this.engine;
    const spare = this.spare;
    this.spare = null;
    this.scheduleSpare();
    if (spare && spare.engine === engine && !spare.broken) return spare;
    return new PluginVm(engine, this.options.clock);
  }

  /** Free `vm` after the current call has answered: in a timer task, or before the next call. */
  retire(vm: PluginVm): void {
    this.retired.push(vm);
    if (this.retireTimer) return;
    this.retireTimer = true;
    this.options.clock.setTimeout(() => {
      this.retireTimer = false;
      this.freeRetired();
    }, 0);
  }

  freeRetired(): void {
    // Never inside a call: calls into a VM are synchronous, so a timer cannot interrupt one.
    if (this.retired.length === 0) return;
    const vms = this.retired;
    this.retired = [];
    for (const vm of vms) this.discard(vm);
  }

  /** Free a VM; if the module cannot free it cleanly, the module is in doubt. */
  discard(vm: PluginVm): void {
    if (this.current?.poisoned) {
      vm.broken = true;
      return;
    }
    try {
      vm.dispose();
    } catch {
      if (this.current) this.current.poisoned = true;
    }
  }

  /**
   * Replace a poisoned module with a fresh module and heap. The old module is dropped whole:
   * its spare and retired VMs go with it, and `dropVms` drops the plugins' (each is rebuilt
   * from its cached code on its own next call).
   */
  async heal(dropVms: () => void): Promise<void> {
    if (!this.current?.poisoned) return;
    this.spare = null;
    this.retired = [];
    dropVms();
    this.current = await this.newEngine();
    this.moduleRestarts++;
    this.buildSpare();
  }

  /** Free the spare and retired VMs and let go of the module (the plugins' VMs are the caller's). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.spareTimer !== null) this.options.clock.clearTimeout(this.spareTimer);
    if (this.spare) this.discard(this.spare);
    this.spare = null;
    this.freeRetired();
  }

  /** Let go of the module, after the caller has released its plugins' VMs. */
  close(): void {
    this.current = null;
  }

  private async newEngine(): Promise<Engine> {
    const { variant, heapLimitBytes, wasmModule, onModule, tierUp } = this.options;
    const engine = await Engine.create({
      variant,
      heapLimitBytes,
      ...(wasmModule ? { wasmModule } : {}),
      ...(tierUp === false ? { tierUp } : {}),
    });
    onModule?.(engine.module);
    return engine;
  }

  private scheduleSpare(): void {
    if (this.spareTimer !== null || this.disposed) return;
    this.spareTimer = this.options.clock.setTimeout(() => {
      this.spareTimer = null;
      this.buildSpare();
    }, 0);
  }

  private buildSpare(): void {
    const engine = this.current;
    if (this.disposed || this.spare || !engine || engine.poisoned) return;
    try {
      this.spare = new PluginVm(engine, this.options.clock);
    } catch {
      // The next load builds its own VM and reports what goes wrong.
    }
  }
}
