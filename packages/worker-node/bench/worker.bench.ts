/**
 * @module worker.bench
 * The benchmark of @corral/worker-node (not a test: it prints a table and writes it to RESULTS.md
 * beside the README), on the shared fixtures (`../shared/bench`, or $CORRAL_BENCH_DIR):
 *
 * 1. render todo50 through createNodeSandbox (poolSize 1) against a raw worker path measured in
 *    the same run — a bare worker_threads + quickjs-emscripten-core round trip doing the same
 *    render with JSON strings (target ≤ 1.2×); beside it, for context, both paths with the same
 *    transport: a raw worker that polls after answering as Corral's does, and Corral with
 *    polling off (spinMs 0);
 * 2. hard-kill-to-next-success: from the moment the watchdog kills a stuck worker (the stuck
 *    call's LIMIT_TIME) to the next successful render of the same plugin, with and without the
 *    hot spare (target ≤ 20 ms with it).
 *
 *   pnpm bench                            # builds, then runs what ships: the packages' dist
 *   CORRAL_BENCH_FROM_SRC=1 pnpm bench    # this package's host code and threads from src, through tsx
 *
 * From src, tsx names every closure as it is made (esbuild's keepNames), a cost the shipped
 * build does not have; the raw path is plain JavaScript either way.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { CorralError, LIMIT_PROFILES, type JSONValue } from '@corral/contracts';
import { createRuntime } from '@corral/core';
import { armedPlugin } from '@corral/core/testing';
import { writeResults } from '@corral/bench-kit';
import type * as Host from '../src/createNodeSandbox.js';

// `internals` (a test hook, not exported from the package) says when the hot spare is up.
const { createNodeSandbox, internals } = (await import(
  process.env.CORRAL_BENCH_FROM_SRC ? '../src/createNodeSandbox.js' : '../dist/createNodeSandbox.js'
)) as typeof Host;

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = process.env.CORRAL_BENCH_DIR ?? resolve(packageDir, '../..', '../shared/bench');
const TODO50 = readFileSync(resolve(benchDir, 'todo50.plugin.js'), 'utf8');
const TODO50_STATE = JSON.parse(readFileSync(resolve(benchDir, 'todo50.state.json'), 'utf8')) as JSONValue;
const NOW = 1_700_000_000_000;
const SEED = 42;
const CALLS = 3000;
const WARMUP = 300;
const KILLS = 20;
// Deadlines far above any measured call, so a busy machine cannot turn a slow sample into a
// LIMIT_TIME; they only arm timers and change nothing on the measured path.
const SLACK = { loadTimeoutMs: 5000, renderTimeoutMs: 5000, eventTimeoutMs: 5000 };
const CEILING = { ...LIMIT_PROFILES.generous, ...SLACK };
/** Normalizing a long combining run in C: the QuickJS interrupt never fires, only a kill stops it. */
const STUCK = armedPlugin('render', '("a" + "\\u0301\\u0323".repeat(5e4)).normalize("NFD");');

// --- the raw path: what a hand-rolled host would do, nothing more ---------------------------------------
const RAW_SHIM = 'var __def; function definePlugin(d) { __def = d; }\n';
const RAW_ENTRY = `(function (name, json) { var i = JSON.parse(json);
  return JSON.stringify(__def.widgets[name].render({ pluginState: i.pluginState, globalState: i.globalState })); })`;

/** A raw VM: the state goes in as one JSON string, the tree comes out as one. */
async function rawVm(code: string): Promise<(json: string) => string> {
  const ctx = (await newQuickJSWASMModuleFromVariant(quickjs)).newRuntime().newContext();
  ctx.unwrapResult(ctx.evalCode(RAW_SHIM + code)).dispose();
  const entry = ctx.unwrapResult(ctx.evalCode(RAW_ENTRY));
  const main = ctx.newString('main');
  return (json) => {
    const arg = ctx.newString(json);
    const out = ctx.unwrapResult(ctx.callFunction(entry, ctx.undefined, main, arg));
    arg.dispose();
    const text = ctx.getString(out);
    out.dispose();
    return text;
  };
}

// The same VM in a bare worker_threads Worker: one string in, one string out. With
// \`workerData.spinMs\`, it polls its port after each answer as Corral's workers do (the
// floor for Corral's transport, printed for context only).
const RAW_WORKER = `
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant } from ${JSON.stringify(import.meta.resolve('quickjs-emscripten-core'))};
import quickjs from ${JSON.stringify(import.meta.resolve('@jitl/quickjs-wasmfile-release-sync'))};
${rawVm.toString()}
const RAW_SHIM = ${JSON.stringify(RAW_SHIM)};
const RAW_ENTRY = ${JSON.stringify(RAW_ENTRY)};
const render = await rawVm(workerData.code);
const answer = (json) => {
  parentPort.postMessage(render(json));
  const until = performance.now() + workerData.spinMs;
  while (performance.now() < until) {
    const next = receiveMessageOnPort(parentPort);
    if (next) return queueMicrotask(() => answer(next.message));
  }
};
parentPort.on('message', answer);
parentPort.postMessage('ready');
`;

async function rawWorker(
  code: string,
  spinMs = 0,
): Promise<{ render: (json: string) => Promise<unknown>; close: () => Promise<number> }> {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(RAW_WORKER)}`), {
    workerData: { code, spinMs },
  });
  await new Promise((r) => worker.once('message', r));
  return {
    render: (json) =>
      new Promise((resolveRender) => {
        worker.once('message', (text: string) => resolveRender(JSON.parse(text)));
        worker.postMessage(json);
      }),
    close: () => worker.terminate(),
  };
}

// --- measuring ---------------------------------------------------------------------------------------
const CPU_RENDERS = 5000;

/** CPU time (ms) this process's threads have used so far, all of them and the host (main) one. */
function threadCpu(): { total: number; host: number } {
  let total = 0;
  let host = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // After the command name: utime and stime are the 12th and 13th fields, in 10 ms ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * 10;
    total += ms;
    if (tid === String(process.pid)) host += ms;
  }
  return { total, host };
}

/** Mean CPU per call (ms) over `n` calls one at a time, after a warm-up. */
async function cpuWindow(n: number, call: () => Promise<unknown>): Promise<{ total: number; host: number }> {
  for (let i = 0; i < WARMUP; i++) await call();
  const before = threadCpu();
  for (let i = 0; i < n; i++) await call();
  const after = threadCpu();
  return { total: (after.total - before.total) / n, host: (after.host - before.host) / n };
}
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const fmt = (x: number): string => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);
const rows: string[][] = [['metric', 'raw', 'corral', 'ratio', 'target', 'pass/fail']];

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Arms alternate in rounds so that machine drift hits both alike. */
async function sample(arms: (() => Promise<number>)[], n: number, rounds = 10): Promise<number[][]> {
  for (const arm of arms) for (let i = 0; i < WARMUP; i++) await arm();
  const out = arms.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++)
    for (const [a, arm] of arms.entries()) for (let i = 0; i < n / rounds; i++) out[a]!.push(await arm());
  return out;
}

// 1. render: corral's pool vs the raw worker, and the same two in-thread for context --------------------
console.error('bench: 1. render');
{
  const params = {
    pluginId: 'todo50',
    widgetId: 'main',
    pluginState: TODO50_STATE,
    globalState: {},
    now: NOW,
    seed: SEED,
  };
  // The raw arms serialize the state on every call too, as any host whose state changes must.
  const input = { pluginState: TODO50_STATE, globalState: {}, now: NOW, seed: SEED };
  const rawInThread = await rawVm(TODO50);
  const runtime = await createRuntime({ variant: quickjs, limitsCeiling: CEILING });
  await runtime.loadPlugin({ pluginId: 'todo50', code: TODO50, limits: SLACK });
  const raw = await rawWorker(TODO50);
  const sandbox = await createNodeSandbox({ poolSize: 1, limitsCeiling: CEILING });
  await sandbox.loadPlugin({ pluginId: 'todo50', code: TODO50, limits: SLACK });
  // For context: the raw worker polling as Corral's does, and Corral's with polling off.
  const spinMs = internals.get(sandbox)!.spinMs;
  const rawPolling = await rawWorker(TODO50, spinMs);
  const sleeping = await createNodeSandbox({
    poolSize: 1,
    hotSpare: false,
    spinMs: 0,
    limitsCeiling: CEILING,
  });
  await sleeping.loadPlugin({ pluginId: 'todo50', code: TODO50, limits: SLACK });
  const [ri, ci, rw, cw, rp, cs] = await sample(
    [
      () => time(async () => JSON.parse(rawInThread(JSON.stringify(input)))),
      () => time(() => runtime.render(params)),
      () => time(() => raw.render(JSON.stringify(input))),
      () => time(() => sandbox.render(params)),
      () => time(() => rawPolling.render(JSON.stringify(input))),
      () => time(() => sleeping.render(params)),
    ],
    CALLS,
  );
  const row = (metric: string, r: number, c: number, target: number | null) => {
    const ratio = c / r;
    rows.push([
      metric,
      fmt(r),
      fmt(c),
      `${ratio.toFixed(2)}×`,
      target === null ? 'info' : `≤ ${target}×`,
      target === null ? '' : ratio <= target ? 'pass' : 'FAIL',
    ]);
  };
  const p50 = (xs: number[]) => quantile(xs, 0.5);
  row('render todo50 p50 via a worker (poolSize 1)', p50(rw!), p50(cw!), 1.2);
  row('render todo50 p95 via a worker (poolSize 1)', quantile(rw!, 0.95), quantile(cw!, 0.95), null);
  row(`  p50, both workers polling ${spinMs} ms after answering`, p50(rp!), p50(cw!), null);
  row('  p50, neither polling (Corral with spinMs 0)', p50(rw!), p50(cs!), null);
  row('render todo50 p50 in-thread (core runtime, no worker)', p50(ri!), p50(ci!), null);
  row('what the worker boundary adds, p50', p50(rw!) - p50(ri!), p50(cw!) - p50(ci!), null);
  // CPU, not latency: what each path costs the machine per render, every thread counted (Linux).
  if (process.platform === 'linux') {
    const rawCpu = await cpuWindow(CPU_RENDERS, () => raw.render(JSON.stringify(input)));
    const corralCpu = await cpuWindow(CPU_RENDERS, () => sandbox.render(params));
    row('CPU per render, all threads (one call at a time)', rawCpu.total, corralCpu.total, null);
    row('  of which the host thread', rawCpu.host, corralCpu.host, null);
  }
  await Promise.all([sandbox.close(), sleeping.close(), raw.close(), rawPolling.close()]);
  runtime.dispose();
}

// 2. hard kill → next success ----------------------------------------------------------------------------
console.error('bench: 2. hard kill');
for (const hotSpare of [true, false]) {
  const sandbox = await createNodeSandbox({ poolSize: 1, hotSpare, graceMs: 50 });
  await sandbox.loadPlugin({ pluginId: 'todo50', code: TODO50 });
  const params = { pluginId: 'todo50', widgetId: 'main', pluginState: TODO50_STATE, globalState: {} };
  const samples: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    // A fresh plugin each time: one that forced a kill runs in the isolation lane after it.
    await sandbox.loadPlugin({ pluginId: `stuck-${k}`, code: STUCK, profile: 'strict' });
    // Each kill finds the pool settled: with the spare on, the spare booted.
    const hooks = internals.get(sandbox)!;
    while (hotSpare ? !hooks.pool.spareReady() || hooks.threads() !== 2 : hooks.threads() !== 1)
      await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const killedAt = await sandbox
      .render({ pluginId: `stuck-${k}`, widgetId: 'main', pluginState: { attack: true }, globalState: {} })
      .then(
        () => Number.NaN,
        (e: unknown) => (CorralError.fromUnknown(e).code === 'LIMIT_TIME' ? performance.now() : Number.NaN),
      );
    for (;;) {
      const ok = await sandbox.render(params).then(
        () => true,
        () => false,
      );
      if (ok) break;
    }
    samples.push(performance.now() - killedAt);
  }
  const p50 = quantile(samples, 0.5);
  rows.push([
    `hard kill → next success p50 (${hotSpare ? 'hot spare' : 'no spare'}, ${KILLS} kills)`,
    '',
    fmt(p50),
    '',
    hotSpare ? '≤ 20 ms' : 'info',
    hotSpare ? (p50 <= 20 ? 'pass' : 'FAIL') : '',
  ]);
  rows.push([`  … p95`, '', fmt(quantile(samples, 0.95)), '', 'info', '']);
  if (sandbox.restarts() !== KILLS) throw new Error(`expected ${KILLS} restarts, saw ${sandbox.restarts()}`);
  await sandbox.close();
}

// 2b. a neighbour's kill: the stall it adds to a benign call, by how many plugins are warm ----------------
console.error('bench: 2b. a neighbour');
{
  // One worker (poolSize 1), so the benign plugin shares it with the neighbour that forces a kill;
  // a fresh neighbour each time (one that was killed before runs in the isolation lane). Before
  // each kill every warm plugin is rendered once, so the worker holds all of them.
  const STALL_KILLS = 10;
  const sandbox = await createNodeSandbox({ poolSize: 1, graceMs: 50, limitsCeiling: CEILING });
  const hooks = internals.get(sandbox)!;
  const render = (pluginId: string) =>
    sandbox.render({ pluginId, widgetId: 'main', pluginState: TODO50_STATE, globalState: {} });
  await sandbox.loadPlugin({ pluginId: 'benign', code: TODO50, limits: SLACK });
  const quiet: number[] = [];
  for (let i = 0; i < 200; i++) quiet.push(await time(() => render('benign')));
  const baseline = quantile(quiet, 0.5);
  let warm = 0;
  for (const n of [0, 100, 250]) {
    for (; warm < n; warm++)
      await sandbox.loadPlugin({ pluginId: `warm-${warm}`, code: TODO50, limits: SLACK });
    const stalls: number[] = [];
    for (let k = 0; k < STALL_KILLS; k++) {
      for (let i = 0; i < n; i++) await render(`warm-${i}`);
      while (!hooks.pool.spareReady()) await new Promise((r) => setTimeout(r, 5));
      const neighbour = `stuck-${n}-${k}`;
      await sandbox.loadPlugin({
        pluginId: neighbour,
        code: STUCK,
        profile: 'strict',
        limits: { loadTimeoutMs: 5000 },
      });
      const stuck = sandbox.render({
        pluginId: neighbour,
        widgetId: 'main',
        pluginState: { attack: true },
        globalState: {},
      });
      const benign = render('benign').then(() => performance.now());
      const killedAt = await stuck.then(
        () => Number.NaN,
        () => performance.now(),
      );
      stalls.push((await benign) - killedAt);
    }
    const p50 = quantile(stalls, 0.5);
    const extra = Math.max(0, p50 - baseline);
    rows.push([
      `benign call after a neighbour's kill, extra p50 (${n} warm plugins)`,
      '',
      fmt(extra),
      '',
      n === 250 ? '≤ 20 ms' : 'info',
      n === 250 ? (extra <= 20 ? 'pass' : 'FAIL') : '',
    ]);
  }
  await sandbox.close();
}

// 3. cold start and memory per loaded plugin ------------------------------------------------------------
console.error('bench: 3. cold start');
{
  // Process start → first rendered tree, each in a fresh Node process: the child prints its own
  // performance.now() (measured from its process's start) once the tree is back. Corral's child
  // loads with the same slack deadlines as the other rows, so a busy machine slows a cold first
  // render instead of failing it (LIMIT_TIME) and ending the bench.
  const COLD_RUNS = 5;
  const fromSrc = Boolean(process.env.CORRAL_BENCH_FROM_SRC);
  const entry = new URL(fromSrc ? '../src/index.ts' : '../dist/index.js', import.meta.url).href;
  const read = `const { readFileSync } = await import('node:fs');
    const code = readFileSync(${JSON.stringify(resolve(benchDir, 'todo50.plugin.js'))}, 'utf8');
    const state = readFileSync(${JSON.stringify(resolve(benchDir, 'todo50.state.json'))}, 'utf8');`;
  const corralChild = `${read}
    const { createNodeSandbox } = await import(${JSON.stringify(entry)});
    const sandbox = await createNodeSandbox({ poolSize: 1, limitsCeiling: ${JSON.stringify(CEILING)} });
    await sandbox.loadPlugin({ pluginId: 't', code, limits: ${JSON.stringify(SLACK)} });
    const { tree } = await sandbox.render({ pluginId: 't', widgetId: 'main', pluginState: JSON.parse(state), globalState: {} });
    if (!tree) throw new Error('no tree');
    console.log(performance.now()); process.exit(0);`;
  const rawChild = `${read}
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(new URL(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RAW_WORKER)}`)}), { workerData: { code, spinMs: 0 } });
    await new Promise((r) => worker.once('message', r));
    const tree = await new Promise((r) => { worker.once('message', (t) => r(JSON.parse(t))); worker.postMessage(JSON.stringify({ pluginState: JSON.parse(state), globalState: {} })); });
    if (!tree) throw new Error('no tree');
    console.log(performance.now()); process.exit(0);`;
  const { execFile } = await import('node:child_process');
  const run = (script: string, tsx: boolean) =>
    new Promise<number>((done, fail) =>
      execFile(
        process.execPath,
        [
          ...(tsx ? ['--import', 'tsx', '--conditions=@corral/source'] : []),
          '--input-type=module',
          '-e',
          script,
        ],
        { cwd: packageDir },
        (error, stdout) => (error ? fail(error) : done(Number(stdout.trim().split('\n').pop()))),
      ),
    );
  const cold: [number[], number[]] = [[], []];
  for (let i = 0; i < COLD_RUNS; i++) {
    cold[0].push(await run(rawChild, false));
    cold[1].push(await run(corralChild, fromSrc));
  }
  const [rawCold, corralCold] = cold.map((xs) => quantile(xs, 0.5)) as [number, number];
  rows.push([
    `cold start, process start → first todo50 tree (median of ${COLD_RUNS})`,
    fmt(rawCold),
    fmt(corralCold),
    `${(corralCold / rawCold).toFixed(2)}×`,
    '≤ 1.5×',
    corralCold / rawCold <= 1.5 ? 'pass' : 'FAIL',
  ]);

  // Memory: MEMORY_PLUGINS todo50 plugins kept loaded in one worker. The WebAssembly heap grows
  // in steps of >= 20 %, full each time it grows, so the slope through the (plugins, size before
  // growing) points is the per-plugin cost (as core's bench measures it in-thread).
  const MEMORY_PLUGINS = 500;
  const slope = (steps: [number, number][]) => {
    const [first, last] = [steps[0], steps[steps.length - 1]];
    return first && last && last !== first ? (last[1] - first[1]) / (last[0] - first[0]) : NaN;
  };
  const RAW_MEMORY_WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant } from ${JSON.stringify(import.meta.resolve('quickjs-emscripten-core'))};
import quickjs from ${JSON.stringify(import.meta.resolve('@jitl/quickjs-wasmfile-release-sync'))};
const module = await newQuickJSWASMModuleFromVariant(quickjs);
const heap = () => module.getWasmMemory().buffer.byteLength;
const steps = [], kept = [];
for (let i = 0; i < workerData.n; i++) {
  const before = heap();
  const ctx = module.newRuntime().newContext();
  ctx.unwrapResult(ctx.evalCode(${JSON.stringify(RAW_SHIM)} + workerData.code)).dispose();
  kept.push(ctx);
  if (heap() > before) steps.push([i, before]);
}
parentPort.postMessage(steps);`;
  const rawWorkerMem = new Worker(new URL(`data:text/javascript,${encodeURIComponent(RAW_MEMORY_WORKER)}`), {
    workerData: { code: TODO50, n: MEMORY_PLUGINS },
  });
  const rawSteps = await new Promise<[number, number][]>((r) => rawWorkerMem.once('message', r));
  await rawWorkerMem.terminate();
  const sandbox = await createNodeSandbox({ poolSize: 1, hotSpare: false });
  const heap = async () => (await sandbox.health()).heapBytes;
  const steps: [number, number][] = [];
  const limits = { loadTimeoutMs: 5000, renderTimeoutMs: 5000, eventTimeoutMs: 5000 };
  let size = await heap();
  for (let i = 0; i < MEMORY_PLUGINS; i++) {
    await sandbox.loadPlugin({ pluginId: `todo-${i}`, code: TODO50, limits });
    const after = await heap();
    if (after > size) steps.push([i, size]);
    size = after;
  }
  await sandbox.close();
  const [rawSlope, corralSlope] = [slope(rawSteps), slope(steps)];
  const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  rows.push([
    `WebAssembly heap / plugin in the worker (${MEMORY_PLUGINS} todo50, slope)`,
    kib(rawSlope),
    kib(corralSlope),
    `${(corralSlope / rawSlope).toFixed(2)}×`,
    '≤ 128 KiB',
    corralSlope <= 128 * 1024 ? 'pass' : 'FAIL',
  ]);
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`node ${process.version}, ${process.env.CORRAL_BENCH_FROM_SRC ? 'src (tsx)' : 'dist'} threads`);
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows.slice(1)) console.log(line(r));

const written = await writeResults(packageDir, {
  name: '@corral/worker-node',
  script: 'bench/worker.bench.ts',
  engine: 'quickjs',
  build: `${process.env.CORRAL_BENCH_FROM_SRC ? 'src (tsx)' : 'dist'}, host code and threads`,
  floor:
    'a bare `worker_threads` + quickjs-emscripten round trip in the same run: the state in as one JSON ' +
    'string parsed in the VM, the tree out as one string parsed on the host, no limits, no checks.',
  tables: [
    {
      title: 'Corral against the raw worker',
      columns: rows[0]!,
      rows: rows.slice(1).map(([metric, ...cells]) => [metric!.replace(/^\s+/, '↳ '), ...cells]),
      notes: [
        `${CALLS} todo50 renders per arm, one at a time, in alternating rounds; ${KILLS} kills per ` +
          'hard-kill row. "Both polling" puts Corral beside a raw worker that polls as Corral\'s does.',
        "After a neighbour's kill: the benign call is queued behind the neighbour's on one worker; " +
          'its extra is the time from the kill to its answer less its quiet median, over 10 kills.',
      ],
    },
  ],
});
if (written) console.log(`results written to ${written}`);
