/**
 * @module core.bench
 * The benchmark of @corral/core against a raw quickjs-emscripten floor measured in the same run,
 * on the shared fixtures (`../shared/bench`, or $CORRAL_BENCH_DIR). Not a test: it prints a table
 * and writes it to RESULTS.md beside the README (@corral/bench-kit; CORRAL_BENCH_RESULTS=0 skips).
 *
 *   pnpm bench                                   # both variants
 *   CORRAL_BENCH_VARIANTS=quickjs pnpm bench     # one of: quickjs, quickjs-ng
 *   NODE_OPTIONS=--expose-gc pnpm bench          # collect garbage between measuring rounds
 *   CORRAL_BENCH_FROM_SRC=1 pnpm bench           # this package from src (default: its dist build)
 *
 * Raw and corral are sampled in alternating rounds so that machine drift hits both alike. Every
 * raw baseline does the same work as corral on its best path: state in as one JSON string parsed
 * inside the VM, result out as one JSON string parsed on the host.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  newQuickJSWASMModuleFromVariant,
  shouldInterruptAfterDeadline,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import NG_RELEASE_SYNC from '@jitl/quickjs-ng-wasmfile-release-sync';
import {
  LIMIT_PROFILES,
  validateRenderParams,
  validateUINodeWithin,
  type EventParams,
  type JSONValue,
  type RenderParams,
} from '@corral/contracts';
import { writeResults } from '@corral/bench-kit';
import type * as Core from '../src/index.js';
import type * as Direct from '../src/runtime/directCall.js';
import type * as Screening from '../src/runtime/screening.js';

// What ships: the build in dist, which `pnpm bench` makes first. CORRAL_BENCH_FROM_SRC=1 runs this
// package from src through tsx instead, which names every closure as it is made (esbuild's
// keepNames), a per-call cost the build does not have.
const from = process.env.CORRAL_BENCH_FROM_SRC ? '../src' : '../dist';
const { checkStates, createInProcessSandbox, createRuntime } = (await import(
  `${from}/index.js`
)) as typeof Core;
const { DirectCaller, bindModule } = (await import(`${from}/runtime/directCall.js`)) as typeof Direct;
const { outputIssue } = (await import(`${from}/runtime/screening.js`)) as typeof Screening;
type Runtime = Core.Runtime;
type DirectCaller = Direct.DirectCaller;

// --- fixtures ---------------------------------------------------------------------------------
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = process.env.CORRAL_BENCH_DIR ?? resolve(packageDir, '../..', '../shared/bench');
const fixture = (name: string): string => readFileSync(resolve(benchDir, name), 'utf8');
const COUNTER = fixture('counter.plugin.js');
const TODO50 = fixture('todo50.plugin.js');
const TODO50_STATE = JSON.parse(fixture('todo50.state.json')) as JSONValue;
const COUNTER_STATE: JSONValue = { count: 41 };
const SPIN = 'definePlugin({ widgets: { main: { render: function () { while (true) {} } } } });';
// Spins only when asked, so the VM can be rebuilt (untimed) between timed interrupts.
const SPIN_IF = `definePlugin({ widgets: { main: { render: function (ctx) {
  if (ctx.pluginState.spin) while (true) {}
  return { kind: "text", text: "ok" };
} } } });`;
const NOW = 1_700_000_000_000;
const SEED = 42;
const TIMEOUT_MS = 20;

// Deadlines far above any measured call, so a busy machine cannot turn a slow sample into a
// LIMIT_TIME; they only arm a timer and change nothing on the measured path.
const SLACK = { loadTimeoutMs: 5000, renderTimeoutMs: 5000, eventTimeoutMs: 5000 };
const CEILING = { ...LIMIT_PROFILES.generous, ...SLACK };

const LOADS = 200;
const GC_RENDERS = 5000;
const CALLS = 2000;
const WARMUP = 200;
const MEMORY_PLUGINS = 500;
const INTERRUPTS = 30;
const KiB = 1024;
const GiB = 1024 * 1024 * 1024;

// --- the raw floor: quickjs-emscripten-core used directly ---------------------------------------
const RAW_SHIM = 'var __def, __replacer; function definePlugin(d) { __def = d; }\n';
/**
 * Replacers for the breakdown, switched inside one VM so that the replacer is all that differs
 * between its arms: none, what any interruptible serialization costs, and one counting values as
 * corral's does.
 */
const REPLACERS = {
  none: 'undefined',
  identity: 'function (k, v) { return v; }',
  // Closure variables, as in the bootstrap (a global counter costs QuickJS a lookup per value).
  counting:
    '(function () { var spent = 0, budget = 1e9; ' +
    'return function (k, v) { if (++spent > budget) throw 1; return v; }; })()',
} as const;
/** Each replacer made once, so switching between them allocates nothing. */
const REPLACER_TABLE = `var __replacers = { ${Object.entries(REPLACERS)
  .map(([kind, fn]) => `${kind}: ${fn}`)
  .join(', ')} };`;
const RAW_META = `JSON.stringify({ title: __def.title,
  widgets: Object.keys(__def.widgets).map(function (id) { return { id: id, title: __def.widgets[id].title || id }; }),
  handlers: Object.keys(__def.handlers || {}), reducers: Object.keys(__def.reducers || {}),
  initialState: __def.initialState === undefined ? null : __def.initialState })`;
const RAW_ENTRY = `(function (op, name, json) {
  var i = JSON.parse(json), s = i.pluginState, out = [];
  if (op === "render") return JSON.stringify(__def.widgets[name].render({ pluginState: s, globalState: i.globalState }), __replacer);
  function d(scope) { return function (type, payload) { out.push({ scope: scope, type: type, payload: payload }); }; }
  __def.handlers[name]({ event: i.event, pluginState: s, globalState: i.globalState,
    dispatchPluginAction: d("plugin"), dispatchGlobalAction: d("global") });
  for (var k = 0; k < out.length; k++) {
    var r = out[k].scope === "plugin" && __def.reducers[out[k].type];
    if (r) s = r(s, out[k].payload);
  }
  return JSON.stringify({ pluginState: s, dispatches: out });
})`;

class RawPlugin {
  readonly rt: QuickJSRuntime;
  readonly ctx: QuickJSContext;
  readonly meta: unknown;
  private readonly entry: QuickJSHandle;
  private readonly strings = new Map<string, QuickJSHandle>();
  // Made on first use, so the raw floor's load and memory figures carry none of it.
  private direct: DirectCaller | null = null;

  constructor(
    private readonly module: QuickJSWASMModule,
    code: string,
  ) {
    this.rt = module.newRuntime();
    const ctx = (this.ctx = this.rt.newContext());
    ctx.unwrapResult(ctx.evalCode(RAW_SHIM + code, 'plugin.js')).dispose();
    ctx.unwrapResult(ctx.evalCode(REPLACER_TABLE)).dispose();
    this.entry = ctx.unwrapResult(ctx.evalCode(RAW_ENTRY));
    const meta = ctx.unwrapResult(ctx.evalCode(RAW_META));
    this.meta = JSON.parse(ctx.getString(meta));
    meta.dispose();
  }

  /** Serialize outputs with this replacer from the next call on. */
  useReplacer(kind: keyof typeof REPLACERS): void {
    this.ctx.unwrapResult(this.ctx.evalCode(`__replacer = __replacers.${kind};`)).dispose();
  }

  private str(s: string): QuickJSHandle {
    let h = this.strings.get(s);
    if (!h) this.strings.set(s, (h = this.ctx.newString(s)));
    return h;
  }

  call(op: 'render' | 'event', name: string, input: object): unknown {
    const ctx = this.ctx;
    const arg = ctx.newString(JSON.stringify(input));
    const result = ctx.callFunction(this.entry, ctx.undefined, this.str(op), this.str(name), arg);
    arg.dispose();
    const out = ctx.unwrapResult(result);
    const text = ctx.getString(out);
    out.dispose();
    return JSON.parse(text);
  }

  /** The same call with strings through Corral's direct path (see src/runtime/directCall.ts). */
  callDirect(op: 'render' | 'event', name: string, input: object): unknown {
    this.direct ??= new DirectCaller(bindModule(this.module), this.ctx, this.entry);
    const result = this.direct.call(this.str(op), this.str(name), JSON.stringify(input));
    if (result.error) throw new Error(this.ctx.getString(result.error));
    return JSON.parse(result.text);
  }

  memoryUsed(): number {
    const h = this.rt.computeMemoryUsage();
    const used = (this.ctx.dump(h) as { memory_used_size: number }).memory_used_size;
    h.dispose();
    return used;
  }

  dispose(): void {
    this.direct?.dispose();
    for (const h of this.strings.values()) h.dispose();
    this.entry.dispose();
    this.ctx.dispose();
    this.rt.dispose();
  }
}

// --- measuring ------------------------------------------------------------------------------------
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Each arm times itself (so setup/teardown stays out); arms alternate in rounds. */
type Arm = () => number | Promise<number>;
async function sample(n: number, arms: Arm[], rounds = 10, warmup = 0): Promise<number[][]> {
  for (const arm of arms) for (let i = 0; i < warmup; i++) await arm();
  const out = arms.map(() => [] as number[]);
  const per = Math.ceil(n / rounds);
  for (let r = 0; r < rounds; r++) {
    for (let a = 0; a < arms.length; a++) {
      gc();
      for (let i = 0; i < per; i++) out[a]!.push(await arms[a]!());
    }
  }
  return out;
}

function timeSync(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Load MEMORY_PLUGINS plugins, noting the heap each time it grows (see the memory section). */
async function fillHeap(
  heap: () => number,
  load: (i: number) => unknown,
): Promise<{ perPlugin: number; slope: number }> {
  const start = heap();
  const steps: [number, number][] = [];
  for (let i = 0; i < MEMORY_PLUGINS; i++) {
    const before = heap();
    await load(i);
    if (heap() > before) steps.push([i, before]);
  }
  const first = steps[0];
  const last = steps[steps.length - 1];
  const slope = first && last && last !== first ? (last[1] - first[1]) / (last[0] - first[0]) : NaN;
  return { perPlugin: (heap() - start) / MEMORY_PLUGINS, slope };
}

interface GcWindow {
  /** Mean time per call over the window, pauses included. */
  mean: number;
  /** Total young-generation (minor) and full (major) GC pause time in the window, ms. */
  minorMs: number;
  majorMs: number;
}

/** Run `n` calls back to back and add up the GC pauses V8 reports during them. */
async function gcWindow(n: number, call: () => unknown): Promise<GcWindow> {
  for (let i = 0; i < WARMUP; i++) await call();
  gc();
  const window = { minorMs: 0, majorMs: 0 };
  let open = true;
  const observer = new PerformanceObserver((list) => {
    if (!open) return;
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perf.NODE_PERFORMANCE_GC_MINOR) window.minorMs += entry.duration;
      else window.majorMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = performance.now();
  for (let i = 0; i < n; i++) await call();
  const mean = (performance.now() - start) / n;
  // GC entries are delivered in a later task.
  await new Promise((r) => setTimeout(r, 20));
  open = false;
  observer.disconnect();
  return { mean, ...window };
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const median = (xs: readonly number[]): number => quantile(xs, 0.5);
const p95 = (xs: readonly number[]): number => quantile(xs, 0.95);

interface Row {
  metric: string;
  raw: string;
  corral: string;
  ratio: string;
  target: string;
  pass: string;
}
const rows: Row[] = [];
/** Where a todo50 render's time goes (quickjs only): piece, median. */
const breakdownRows: [string, string][] = [];

function ms(x: number): string {
  return x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`;
}

/** A row comparing raw and corral times against a ratio target (null: informational). */
function ratioRow(metric: string, raw: number, corral: number, target: number | null): void {
  const ratio = corral / raw;
  rows.push({
    metric,
    raw: ms(raw),
    corral: ms(corral),
    ratio: `${ratio.toFixed(2)}×`,
    target: target === null ? 'info' : `≤ ${target}×`,
    pass: target === null ? '' : ratio <= target ? 'pass' : 'FAIL',
  });
}

function plainRow(metric: string, raw: string, corral: string, ratio = '', target = 'info', pass = ''): void {
  rows.push({ metric, raw, corral, ratio, target, pass });
}

function printTable(): void {
  const header: Row = {
    metric: 'metric',
    raw: 'raw',
    corral: 'corral',
    ratio: 'ratio',
    target: 'target',
    pass: 'pass/fail',
  };
  const keys = Object.keys(header) as (keyof Row)[];
  const width = Object.fromEntries(
    keys.map((k) => [k, Math.max(...[header, ...rows].map((r) => r[k].length))]),
  );
  const line = (r: Row): string => `| ${keys.map((k) => r[k].padEnd(width[k]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${keys.map((k) => '-'.repeat(width[k]! + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

// --- the benchmark of one variant ------------------------------------------------------------
const renderParams = (pluginId: string, pluginState: JSONValue): RenderParams => ({
  pluginId,
  widgetId: 'main',
  pluginState,
  globalState: {},
  now: NOW,
  seed: SEED,
});
const eventParams = (
  pluginId: string,
  handler: string,
  args: JSONValue | undefined,
  pluginState: JSONValue,
): EventParams => ({
  pluginId,
  widgetId: 'main',
  handler,
  event: args === undefined ? { name: 'click' } : { name: 'change', args },
  pluginState,
  globalState: {},
  now: NOW,
  seed: SEED,
});
/** What the raw VM function receives: the same fields corral's bootstrap gets. */
const rawInput = (p: RenderParams | EventParams): object => ({
  pluginState: p.pluginState,
  globalState: p.globalState,
  now: p.now,
  seed: p.seed,
  ...('event' in p ? { event: p.event } : {}),
});

async function benchVariant(label: string, variant: QuickJSSyncVariant): Promise<void> {
  const module = await newQuickJSWASMModuleFromVariant(variant);
  const runtime = await createRuntime({ variant, limitsCeiling: CEILING });
  const engine = (await runtime.health()).engine;
  const tag = (s: string): string => `${engine} ${s}`;
  console.error(`[${label}] engine ${engine}`);

  // 1. cold load ----------------------------------------------------------------------------
  // A plugin that was never loaded, on a runtime that was idle for a moment before (so its
  // spare VM is booted), and again back to back (no idle time: every load boots its own VM).
  {
    const idle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));
    const coldLoad = async (): Promise<number> => {
      const t = await timeAsync(() => runtime.loadPlugin({ pluginId: 'cold', code: TODO50, limits: SLACK }));
      await runtime.disposePlugin({ pluginId: 'cold' });
      return t;
    };
    const [raw, corral, backToBack] = await sample(
      LOADS,
      [
        () => {
          let p: RawPlugin | null = null;
          const t = timeSync(() => (p = new RawPlugin(module, TODO50)));
          p!.dispose();
          return t;
        },
        async () => {
          await idle();
          return coldLoad();
        },
        coldLoad,
      ],
      10,
      20,
    );
    ratioRow(tag('load todo50 p50 (idle before: spare VM ready)'), median(raw!), median(corral!), 1.3);
    ratioRow(tag('load todo50 p95 (idle before: spare VM ready)'), p95(raw!), p95(corral!), 1.3);
    ratioRow(tag('load todo50 p50, back to back (boots its VM)'), median(raw!), median(backToBack!), null);
  }

  // 2-4. render and event --------------------------------------------------------------------
  const sandbox = await createInProcessSandbox({ variant, limitsCeiling: CEILING });
  const raws: Record<string, RawPlugin> = {
    counter: new RawPlugin(module, COUNTER),
    todo50: new RawPlugin(module, TODO50),
  };
  for (const [id, code] of [
    ['counter', COUNTER],
    ['todo50', TODO50],
  ] as const) {
    await runtime.loadPlugin({ pluginId: id, code, limits: SLACK });
    await sandbox.loadPlugin({ pluginId: id, code, limits: SLACK });
  }
  const renders = {
    counter: renderParams('counter', COUNTER_STATE),
    todo50: renderParams('todo50', TODO50_STATE),
  };
  const sandboxRatios: [string, number, number][] = [];
  for (const id of ['counter', 'todo50'] as const) {
    const p = renders[id];
    const raw = raws[id]!;
    // The same tree, whichever path made it.
    const expected = JSON.stringify(raw.call('render', 'main', rawInput(p)));
    if (JSON.stringify((await runtime.render(p)).tree) !== expected)
      throw new Error(`${id}: corral tree differs`);
    if (JSON.stringify((await sandbox.render(p)).tree) !== expected)
      throw new Error(`${id}: sandbox tree differs`);
    if (JSON.stringify(raw.callDirect('render', 'main', rawInput(p))) !== expected)
      throw new Error(`${id}: direct raw tree differs`);
    const [r, c, s, d] = await sample(
      CALLS,
      [
        () => timeSync(() => raw.call('render', 'main', rawInput(p))),
        () => timeAsync(() => runtime.render(p)),
        () => timeAsync(() => sandbox.render(p)),
        () => timeSync(() => raw.callDirect('render', 'main', rawInput(p))),
      ],
      10,
      WARMUP,
    );
    ratioRow(tag(`render ${id} p50`), median(r!), median(c!), 1.15);
    ratioRow(tag(`render ${id} p95`), p95(r!), p95(c!), 1.15);
    // The raw floor uses quickjs-emscripten's public API; Corral moves strings through the
    // module's C interface (directCall.ts). The floor moved the same way, for comparison.
    ratioRow(tag(`  render ${id} p50, floor with Corral's string path`), median(d!), median(c!), null);
    sandboxRatios.push([id, median(r!), median(s!)]);
  }
  const events = {
    counter: eventParams('counter', 'inc', undefined, COUNTER_STATE),
    todo50: eventParams('todo50', 'toggle', { id: 'item-3' }, TODO50_STATE),
  };
  for (const id of ['counter', 'todo50'] as const) {
    const p = events[id];
    const raw = raws[id]!;
    const expected = JSON.stringify(
      (raw.call('event', p.handler, rawInput(p)) as { pluginState: unknown }).pluginState,
    );
    if (JSON.stringify((await runtime.event(p)).pluginState) !== expected)
      throw new Error(`${id}: corral state differs`);
    const [r, c, d] = await sample(
      CALLS,
      [
        () => timeSync(() => raw.call('event', p.handler, rawInput(p))),
        () => timeAsync(() => runtime.event(p)),
        () => timeSync(() => raw.callDirect('event', p.handler, rawInput(p))),
      ],
      10,
      WARMUP,
    );
    ratioRow(tag(`event ${id} ${p.handler} p50`), median(r!), median(c!), 1.3);
    ratioRow(tag(`event ${id} ${p.handler} p95`), p95(r!), p95(c!), 1.3);
    ratioRow(tag(`  event ${id} p50, floor with Corral's string path`), median(d!), median(c!), null);
  }
  for (const [id, r, s] of sandboxRatios)
    ratioRow(tag(`render ${id} via in-process sandbox p50`), r, s, null);
  {
    // What medians hide: garbage a call leaves for V8 to collect, paid in pauses now and then.
    // Each path renders alone in its own window, so the pauses in it are its own.
    const raw = raws.todo50!;
    const p = renders.todo50;
    const rawGc = await gcWindow(GC_RENDERS, () => raw.call('render', 'main', rawInput(p)));
    const corralGc = await gcWindow(GC_RENDERS, () => runtime.render(p));
    ratioRow(tag('render todo50 mean, GC pauses included'), rawGc.mean, corralGc.mean, null);
    const per1000 = (w: GcWindow): string =>
      `${ms((w.minorMs * 1000) / GC_RENDERS)} minor + ${ms((w.majorMs * 1000) / GC_RENDERS)} major`;
    plainRow(tag('  V8 GC pauses per 1,000 todo50 renders'), per1000(rawGc), per1000(corralGc));
  }
  if (label === 'quickjs') await breakdown(module, runtime, raws.todo50!, renders.todo50);
  for (const raw of Object.values(raws)) raw.dispose();
  await sandbox.close();
  runtime.dispose();

  // 5. memory per plugin ---------------------------------------------------------------------
  {
    // Emscripten grows the heap in steps of >= 20%, so growth / N is only as fine as a step.
    // The heap is full whenever it grows: the (plugins loaded, size before growing) points lie
    // on the true usage curve, and their slope is the per-plugin heap cost to ~1%.
    let memory: WebAssembly.Memory | null = null;
    const memRuntime = await createRuntime({
      variant,
      limitsCeiling: CEILING,
      onModule: (m) => (memory = m.getWasmMemory()),
    });
    const corral = await fillHeap(
      () => memory!.buffer.byteLength,
      (i) => memRuntime.loadPlugin({ pluginId: `todo-${i}`, code: TODO50, limits: SLACK }),
    );
    const accounted = median((await memRuntime.health()).plugins.map((p) => p.memoryBytes));
    memRuntime.dispose();

    const memModule = await newQuickJSWASMModuleFromVariant(variant);
    const rawPlugins: RawPlugin[] = [];
    const raw = await fillHeap(
      () => memModule.getWasmMemory().buffer.byteLength,
      () => rawPlugins.push(new RawPlugin(memModule, TODO50)),
    );
    const rawAccounted = median(rawPlugins.map((p) => p.memoryUsed()));
    for (const p of rawPlugins) p.dispose();

    const kib = (b: number): string => `${(b / KiB).toFixed(0)} KiB`;
    const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    const ok = (b: number): string => (b <= 128 * KiB ? 'pass' : 'FAIL');
    const target = '≤ 128 KiB';
    const label = tag(`heap growth / plugin (${MEMORY_PLUGINS} todo50)`);
    plainRow(
      label,
      kib(raw.perPlugin),
      kib(corral.perPlugin),
      x(corral.perPlugin, raw.perPlugin),
      target,
      ok(corral.perPlugin),
    );
    const slope = tag('  heap / plugin, slope at growth points');
    plainRow(slope, kib(raw.slope), kib(corral.slope), x(corral.slope, raw.slope), target, ok(corral.slope));
    const used = tag('QuickJS memory_used_size / plugin');
    plainRow(used, kib(rawAccounted), kib(accounted), x(accounted, rawAccounted));
    const fit = (b: number): string => `${Math.floor(GiB / b)}`;
    plainRow(tag('todo50 plugins per GiB (by slope)'), fit(raw.slope), fit(corral.slope));
  }

  // 6. interrupt overshoot ---------------------------------------------------------------------
  {
    const spinRuntime = await createRuntime({
      variant,
      limitsCeiling: CEILING,
      failureThreshold: { count: 1_000_000, windowMs: 60_000 },
    });
    const limits = { loadTimeoutMs: SLACK.loadTimeoutMs, renderTimeoutMs: TIMEOUT_MS };
    await spinRuntime.loadPlugin({ pluginId: 'spin', code: SPIN, limits });
    await spinRuntime.loadPlugin({ pluginId: 'spin-if', code: SPIN_IF, limits });
    const overrun = async (p: RenderParams): Promise<number> => {
      const t = performance.now();
      try {
        await spinRuntime.render(p);
      } catch (error) {
        const elapsed = performance.now() - t;
        if ((error as { code?: string }).code !== 'LIMIT_TIME') throw error;
        return elapsed - TIMEOUT_MS;
      }
      throw new Error('the spinning render returned');
    };
    const spin = renderParams('spin', null);
    const spinWarm = renderParams('spin-if', { spin: true });
    const rebuild = renderParams('spin-if', { spin: false });
    const rawSpin = new RawPlugin(module, SPIN);
    const rawOverrun = (): number => {
      rawSpin.rt.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + TIMEOUT_MS));
      const t = performance.now();
      try {
        rawSpin.call('render', 'main', rawInput(spin));
      } catch {
        return performance.now() - t - TIMEOUT_MS;
      }
      throw new Error('the spinning raw render returned');
    };
    const [raw, corral, warm] = await sample(
      INTERRUPTS,
      [
        rawOverrun,
        () => overrun(spin),
        async () => {
          await spinRuntime.render(rebuild); // rebuilds the recycled VM, untimed
          return overrun(spinWarm);
        },
      ],
      3,
      2,
    );
    rawSpin.dispose();
    spinRuntime.dispose();
    const fmt = (xs: number[]): string => `${ms(median(xs))} / ${ms(Math.max(...xs))}`;
    // Each overrun recycles the plugin's VM, so back to back the next call rebuilds it (~2 ms)
    // inside the timed render; the second row rebuilds it first, untimed.
    plainRow(
      tag(`interrupt overshoot p50 / max (${TIMEOUT_MS} ms), incl. VM rebuild`),
      fmt(raw!),
      fmt(corral!),
    );
    plainRow(tag('  same, VM rebuilt before each call (untimed)'), fmt(raw!), fmt(warm!));
  }
}

/**
 * Where the host side of one todo50 render goes, timed piece by piece with the contract's own
 * functions (the same calls runtime.render makes, in the same order). The VM side is the rest.
 */
async function breakdown(
  module: QuickJSWASMModule,
  runtime: Runtime,
  raw: RawPlugin,
  p: RenderParams,
): Promise<void> {
  const tree = (await runtime.render(p)).tree;
  // The raw floor again with a replacer in JSON.stringify, in one VM of its own: the least any
  // serialization that the interrupt can stop costs, and a replacer counting values as corral's
  // does. Each arm picks its replacer untimed before its call.
  const rawReplaced = new RawPlugin(module, TODO50);
  const replaced =
    (kind: keyof typeof REPLACERS): Arm =>
    () => {
      rawReplaced.useReplacer(kind);
      return timeSync(() => rawReplaced.call('render', 'main', rawInput(p)));
    };
  const treeText = JSON.stringify(tree);
  const limits = { maxOutputBytes: 1024 * KiB, maxOutputDepth: 64, maxOutputNodes: 10_000 };
  // Only what corral adds on the host: the raw path also stringifies the state and parses the
  // output, so those are not counted here.
  const pieces: [string, () => unknown][] = [
    [
      'params envelope validation (states set aside)',
      () => validateRenderParams({ ...p, pluginState: null, globalState: null }),
    ],
    ['state checks (plain JSON as sent, both states)', () => checkStates(p)],
    ['output size check before parse', () => treeText.length * 3 > limits.maxOutputBytes],
    [
      'output re-check after parse (depth, "__proto__" keys)',
      () => outputIssue(tree, limits.maxOutputDepth * 2 + 8),
    ],
    [
      'tree validation (tree bounds + ajv schema)',
      () =>
        validateUINodeWithin(
          tree,
          { maxDepth: limits.maxOutputDepth, maxNodes: limits.maxOutputNodes },
          null,
        ),
    ],
  ];
  const arms: Arm[] = [
    () => timeSync(() => raw.call('render', 'main', rawInput(p))),
    () => timeAsync(() => runtime.render(p)),
    replaced('none'),
    replaced('identity'),
    replaced('counting'),
    ...pieces.map(
      ([, fn]): Arm =>
        () =>
          timeSync(fn),
    ),
  ];
  const times = (await sample(CALLS, arms, 10, WARMUP)).map(median);
  const [rawT, corralT, noneT, identityT, countingT, ...pieceT] = times as [
    number,
    number,
    number,
    number,
    number,
    ...number[],
  ];
  rawReplaced.dispose();
  const hostT = pieceT.reduce((a, b) => a + b, 0);
  // The replacer's share is taken within its own VM, then added to the raw floor.
  const replacerT = countingT - noneT;
  breakdownRows.push(
    ['raw floor', ms(rawT)],
    ['corral runtime.render', `${ms(corralT)} (+${ms(corralT - rawT)})`],
    ['identity replacer (interruptible floor; one VM, vs none)', `+${ms(identityT - noneT)}`],
    ['counting replacer (what corral runs; one VM, vs none)', `+${ms(replacerT)}`],
    ...pieces.map(([name], i): [string, string] => [name, ms(pieceT[i]!)]),
    ['host-side checks (the pieces above)', ms(hostT)],
    ['rest (second entry call, call setup, queue, diagnostics)', ms(corralT - rawT - replacerT - hostT)],
  );
  console.log(
    '\nWhere a todo50 render goes (quickjs; medians; host pieces timed alone, same calls as runtime.render):',
  );
  for (const [name, value] of breakdownRows) console.log(`  ${name.padEnd(60)} ${value}`);
}

// --- main ---------------------------------------------------------------------------------------
const VARIANTS: [string, QuickJSSyncVariant][] = [
  ['quickjs', RELEASE_SYNC],
  ['quickjs-ng', NG_RELEASE_SYNC],
];
const wanted = process.env.CORRAL_BENCH_VARIANTS?.split(',').map((s) => s.trim());
const started = performance.now();
console.log(
  `@corral/core bench — fixtures ${benchDir}, node ${process.version}, gc ${gc.name === 'gc' ? 'exposed' : 'not exposed'}`,
);
const engines: string[] = [];
for (const [label, variant] of VARIANTS) {
  if (wanted && !wanted.includes(label)) continue;
  engines.push(label);
  await benchVariant(label, variant);
}
console.log('');
printTable();
console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s; times are medians unless marked p95.`);

const written = await writeResults(packageDir, {
  name: '@corral/core',
  script: 'bench/core.bench.ts',
  engine: engines.join(', '),
  build: process.env.CORRAL_BENCH_FROM_SRC ? 'src (tsx)' : 'dist',
  floor:
    'quickjs-emscripten-core used directly in the same run, on its best path (state in as one JSON ' +
    'string parsed in the VM, `JSON.stringify` out, `JSON.parse` on the host).',
  tables: [
    {
      title: 'Corral against the raw floor',
      columns: ['metric', 'raw', 'corral', 'ratio', 'target', 'pass/fail'],
      rows: rows.map((r) => [r.metric.replace(/^\s+/, '↳ '), r.raw, r.corral, r.ratio, r.target, r.pass]),
      notes: [
        "\"Floor with Corral's string path\" moves the raw floor's strings through the module's C " +
          "interface as Corral does, so that ratio is Corral's own overhead.",
      ],
    },
    ...(breakdownRows.length
      ? [
          {
            title: 'Where a todo50 render goes (quickjs)',
            columns: ['piece', 'median'],
            rows: breakdownRows,
            notes: [
              'Host pieces are timed alone, with the same calls `runtime.render` makes; the replacers ' +
                'in one raw VM switched between calls.',
            ],
          },
        ]
      : []),
  ],
});
if (written) console.log(`results written to ${written}`);
