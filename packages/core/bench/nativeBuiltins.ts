/**
 * @module nativeBuiltins
 * A survey of long native built-ins (issue 17): in a raw QuickJS VM of each engine, with an
 * interrupt handler and a memory limit set, it times built-ins on adversarial inputs and records
 * whether they ask the interrupt handler while they run. Not a test, and no part of Corral: it
 * measures the engines, so that the bootstrap's guards and the README's list stay grounded.
 *
 *   pnpm exec tsx bench/nativeBuiltins.ts               # every probe, both engines, raw and guarded
 *   SURVEY_ONLY=indexOf pnpm exec tsx bench/nativeBuiltins.ts   # probes whose name contains it
 *   SURVEY_OUT=- ...                                    # print only, write no file
 *
 * Each probe runs in its own child process, which is killed after `CAP_MS`: a built-in that
 * never asks the interrupt handler cannot be stopped any other way. The handler never
 * interrupts; it records when it is asked, so "longest gap" is the longest stretch the built-in
 * ran without asking (a built-in that polls shows a gap of a millisecond or so). Inputs are
 * capped so most probes finish in about a second; `scale` says how far the worst case reaches
 * past the measured size (e.g. an array length of 2^32−1 instead of 1e7), and the estimate
 * assumes the cost is linear in it (n·m for the substring searches).
 * Results go to NATIVE-BUILTINS.md beside the README (SURVEY_OUT names another file).
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { format, resolveConfig } from 'prettier';
import { newQuickJSWASMModuleFromVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import NG_RELEASE_SYNC from '@jitl/quickjs-ng-wasmfile-release-sync';

/** A probe is stopped (its worker terminated) after this long. */
const CAP_MS = 2500;
const MEMORY_BYTES = 32 * 1024 * 1024;
const L = 1e7; // the length of the sparse arrays and array-likes
const MAX_LEN = 2 ** 32 - 1;

interface Probe {
  group: string;
  name: string;
  /** Untimed setup, evaluated first. */
  setup: string;
  /** The timed expression. */
  run: string;
  /** The measured size, as shown in the table. */
  size: string;
  /** How much bigger the worst case is (cost assumed linear in it); 1 if the size is the worst. */
  scale?: number;
  worst?: string;
}

const sparse = (n: number) => `var a = []; a.length = ${n};`;
const sparseLike = (n: number) => `var a = { length: ${n} };`;
const huge = { scale: MAX_LEN / L, worst: 'length 2^32−1' };

const PROBES: Probe[] = [
  // --- String ----------------------------------------------------------------------------
  ...['indexOf', 'includes', 'split', 'replaceAll'].map((m): Probe => ({
    group: 'String',
    name: `String.prototype.${m} (naive search)`,
    setup: 'var s = "a".repeat(5e5), n = "a".repeat(1000) + "b";',
    run: m === 'replaceAll' ? 's.replaceAll(n, "x")' : `s.${m}(n)`,
    size: '5e5 × 1e3',
    scale: (2e6 * 2e6) / 4 / 5e8,
    worst: 'n·m ≤ 1e12 (2 MB haystack)',
  })),
  {
    group: 'String',
    name: 'String.prototype.lastIndexOf (naive search)',
    setup: 'var s = "a".repeat(5e5), n = "a".repeat(1000) + "b";',
    run: 's.lastIndexOf(n)',
    size: '5e5 × 1e3',
    scale: (2e6 * 2e6) / 4 / 5e8,
    worst: 'n·m ≤ 1e12 (2 MB haystack)',
  },
  {
    group: 'String',
    name: 'String.prototype.repeat',
    setup: '',
    run: '"ab".repeat(5e6).length',
    size: '10 MB',
  },
  {
    group: 'String',
    name: 'String.prototype.padStart',
    setup: '',
    run: '"".padStart(1e7, "ab").length',
    size: '10 MB',
  },
  {
    group: 'String',
    name: 'String.prototype.normalize (long combining run)',
    setup: 'var s = "a" + "\\u0301\\u0323".repeat(1e4);',
    run: 's.normalize("NFC").length',
    size: '2e4 marks',
    scale: 25,
    worst: '1e5 marks (quadratic)',
  },
  {
    group: 'String',
    name: 'String.prototype.normalize (plain text)',
    setup: 'var s = "\\u1e9b\\u0323".repeat(1e6);',
    run: 's.normalize("NFKC").length',
    size: '2e6 chars',
  },
  {
    group: 'String',
    name: 'String.prototype.localeCompare (combining run)',
    setup: 'var s = "a" + "\\u0301\\u0323".repeat(1e4), t = s + "b";',
    run: 's.localeCompare(t)',
    size: '2e4 marks',
    scale: 25,
    worst: '1e5 marks (quadratic)',
  },
  {
    group: 'String',
    name: 'String.prototype.toUpperCase',
    setup: 'var s = "\\u00df".repeat(4e6);',
    run: 's.toUpperCase().length',
    size: '4e6 chars',
  },
  {
    group: 'String',
    name: 'String.fromCharCode.apply (big array)',
    setup: 'var c = []; for (var i = 0; i < 1e6; i++) c.push(97);',
    run: 'String.fromCharCode.apply(null, c).length',
    size: '1e6 args',
  },
  // --- RegExp ----------------------------------------------------------------------------
  {
    group: 'RegExp',
    name: 'RegExp backtracking /(a+)+$/',
    setup: 'var s = "a".repeat(26) + "!";',
    run: '/(a+)+$/.test(s)',
    size: '26 a',
    scale: 1024,
    worst: 'exponential',
  },
  {
    group: 'RegExp',
    name: 'String.prototype.replace /a/g',
    setup: 'var s = "a".repeat(4e6);',
    run: 's.replace(/a/g, "bb").length',
    size: '4e6 chars',
  },
  // --- Array: sparse huge-length arrays ---------------------------------------------------
  ...(
    [
      ['join', 'a.join()'],
      ['toString', 'a.toString()'],
      ['indexOf', 'a.indexOf(1)'],
      ['lastIndexOf', 'a.lastIndexOf(1)'],
      ['includes', 'a.includes(1)'],
      ['reverse', 'a.reverse().length'],
      ['sort', 'a.sort().length'],
      ['copyWithin', 'a.copyWithin(0, 1).length'],
      ['splice', 'a.splice(0, 1).length'],
      ['forEach', 'a.forEach(function () {})'],
      ['every', 'a.every(function () { return false; })'],
      ['reduce', 'a.reduce(function (x) { return x; }, 0)'],
      ['filter', 'a.filter(function () { return true; }).length'],
      ['concat', '[].concat(a).length'],
      ['slice', 'a.slice(0).length'],
      ['fill', 'a.fill(0).length'],
      ['flat', '[a].flat().length'],
      ['findIndex', 'a.findIndex(function () { return false; })'],
    ] as const
  ).map(([m, run]): Probe => ({
    group: 'Array (sparse)',
    name: `Array.prototype.${m}`,
    setup: sparse(L),
    run,
    size: 'length 1e7',
    ...huge,
  })),
  {
    group: 'Array (sparse)',
    name: 'Array.prototype.indexOf (a[1e7-1] set)',
    setup: `var a = []; a[${L - 1}] = 1;`,
    run: 'a.indexOf(2)',
    size: 'length 1e7',
    ...huge,
  },
  {
    group: 'Array (sparse)',
    name: 'new Array(1e7).join()',
    setup: '',
    run: `new Array(${L}).join().length`,
    size: 'length 1e7',
    scale: 10,
    worst: 'length 1e8 (string 1e8)',
  },
  // --- Array methods on array-likes ---------------------------------------------------------
  ...(
    [
      ['join', 'Array.prototype.join.call(a)'],
      ['indexOf', 'Array.prototype.indexOf.call(a, 1)'],
      ['includes', 'Array.prototype.includes.call(a, 1)'],
      ['reverse', 'Array.prototype.reverse.call(a).length'],
      ['sort', 'Array.prototype.sort.call(a).length'],
    ] as const
  ).map(([m, run]): Probe => ({
    group: 'Array-like',
    name: `Array.prototype.${m} on { length }`,
    setup: sparseLike(L),
    run,
    size: 'length 1e7',
    ...huge,
  })),
  {
    group: 'Array-like',
    name: 'Array.prototype.indexOf on a Proxy (get trap)',
    setup: `var a = new Proxy({}, { get: function (t, k) { return k === "length" ? ${L} : undefined; } });`,
    run: 'Array.prototype.indexOf.call(a, 1)',
    size: 'length 1e7',
    ...huge,
  },
  {
    group: 'Array-like',
    name: 'Array.from({ length })',
    setup: '',
    run: `Array.from({ length: ${L} }).length`,
    size: 'length 1e7',
  },
  {
    group: 'Array-like',
    name: 'Object.keys of a 1e6-key object',
    setup: 'var o = {}; for (var i = 0; i < 1e6; i++) o["k" + i] = i;',
    run: 'Object.keys(o).length',
    size: '1e6 keys',
  },
  // --- TypedArray --------------------------------------------------------------------------
  {
    group: 'TypedArray',
    name: 'Float64Array.prototype.sort',
    setup: 'var t = new Float64Array(2e6); for (var i = 0; i < t.length; i++) t[i] = Math.random();',
    run: 't.sort().length',
    size: '2e6 (16 MB)',
  },
  {
    group: 'TypedArray',
    name: 'Uint8Array.prototype.fill',
    setup: 'var t = new Uint8Array(2e7);',
    run: 't.fill(7).length',
    size: '2e7',
  },
  {
    group: 'TypedArray',
    name: 'Uint8Array.prototype.set',
    setup: 'var t = new Uint8Array(1e7), u = new Uint8Array(1e7);',
    run: 't.set(u), t.length',
    size: '1e7',
  },
  {
    group: 'TypedArray',
    name: 'Uint8Array.prototype.indexOf',
    setup: 'var t = new Uint8Array(2e7);',
    run: 't.indexOf(1)',
    size: '2e7',
  },
  // --- BigInt ------------------------------------------------------------------------------
  {
    group: 'BigInt',
    name: 'BigInt.prototype.toString',
    setup: 'var b = 7n ** 200000n;',
    run: 'b.toString().length',
    size: '170k digits',
  },
  {
    group: 'BigInt',
    name: 'BigInt ** (pow)',
    setup: '',
    run: '(3n ** 300000n) > 0n',
    size: '4.8e5 bits',
  },
  {
    group: 'BigInt',
    name: 'BigInt * (multiplication)',
    setup: 'var x = (1n << 500000n) - 1n;',
    run: '(x * x) > 0n',
    size: '5e5 bits²',
  },
  {
    group: 'BigInt',
    name: 'BigInt(string) parse',
    setup: 'var d = "9".repeat(2e5);',
    run: 'BigInt(d) > 0n',
    size: '2e5 digits',
  },
  // --- JSON --------------------------------------------------------------------------------
  {
    group: 'JSON',
    name: 'JSON.stringify (1e6 numbers)',
    setup: 'var v = []; for (var i = 0; i < 1e6; i++) v.push(i);',
    run: 'JSON.stringify(v).length',
    size: '1e6 values',
  },
  {
    group: 'JSON',
    name: 'JSON.stringify (shared DAG, 2^20 leaves)',
    setup: 'var v = [1]; for (var i = 0; i < 20; i++) v = [v, v];',
    run: 'JSON.stringify(v).length',
    size: '2^20 leaves',
    scale: 8,
    worst: 'exponential, capped by memory (~8×)',
  },
  {
    group: 'JSON',
    name: 'JSON.stringify (sparse length 1e7)',
    setup: sparse(L),
    run: 'JSON.stringify(a).length',
    size: 'length 1e7',
  },
  {
    group: 'JSON',
    name: 'JSON.parse (4 MB)',
    setup: 'var t = "[" + "1,".repeat(2e6) + "1]";',
    run: 'JSON.parse(t).length',
    size: '4 MB',
  },
  // --- Number, Function ---------------------------------------------------------------------
  {
    group: 'Number',
    name: 'Number.prototype.toString(2) / toFixed(100)',
    setup: '',
    run: '(1e308).toString(2).length + (1e21 - 1).toFixed(100).length',
    size: 'largest',
  },
  {
    group: 'Function',
    name: 'Function.prototype.toString (1 MB source)',
    setup: 'var f = new Function("return " + JSON.stringify("x".repeat(1e6)) + ";");',
    run: 'f.toString().length',
    size: '1 MB',
  },
];

interface Outcome {
  ms: number;
  gapMs: number;
  polls: number;
  result: string;
  error?: string;
}

const ENGINES: [string, QuickJSSyncVariant][] = [
  ['quickjs', RELEASE_SYNC],
  ['quickjs-ng', NG_RELEASE_SYNC],
];

async function runProbe(engine: string, probe: Probe, bootstrap: boolean, status: string): Promise<Outcome> {
  // The handler runs on this (blocked) thread, so it reports progress synchronously to a file:
  // a probe killed at the cap may still have been asking the handler all along.
  const fd = openSync(status, 'w');
  let reported = 0;
  const variant = ENGINES.find(([e]) => e === engine)![1];
  const module = await newQuickJSWASMModuleFromVariant(variant);
  const runtime = module.newRuntime();
  runtime.setMemoryLimit(MEMORY_BYTES);
  runtime.setMaxStackSize(512 * 1024);
  let last = 0;
  let gap = 0;
  let polls = 0;
  let timing = false;
  let started = 0;
  runtime.setInterruptHandler(() => {
    if (timing) {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
      polls++;
      if (now - reported > 50) {
        reported = now;
        writeSync(fd, JSON.stringify({ gapMs: gap, polls, ms: now - started }).padEnd(100), 0);
      }
    }
    return false;
  });
  const context = runtime.newContext();
  const evaluate = (code: string): { value?: string; error?: string } => {
    const r = context.evalCode(code);
    if (r.error) {
      const e = context.dump(r.error) as { name?: string; message?: string } | string;
      r.error.dispose();
      return { error: typeof e === 'object' && e ? `${e.name}: ${e.message}` : String(e) };
    }
    const v = String(context.dump(r.value));
    r.value.dispose();
    return { value: v };
  };
  if (bootstrap) {
    const { BOOTSTRAP_SOURCE } = await import('../src/runtime/bootstrap.js');
    for (const name of ['hostDispatchPlugin', 'hostDispatchGlobal', 'hostNow', 'hostLog']) {
      const fn = context.newFunction(name, () => context.undefined);
      context.setProp(context.global, name, fn);
      fn.dispose();
    }
    const boot = context.evalCode(BOOTSTRAP_SOURCE);
    if (boot.error) throw new Error('bootstrap failed');
    const limits = context.newString(
      JSON.stringify({
        maxDispatches: 1,
        maxStateValues: 1,
        maxPayloadValues: 1,
        maxElements: MEMORY_BYTES / 8,
      }),
    );
    const op = context.newString('limits');
    context.callFunction(boot.value, context.undefined, op, op, limits).dispose?.();
  }
  const setup = evaluate(probe.setup + ' 0');
  if (setup.error) return { ms: 0, gapMs: 0, polls: 0, result: '', error: `setup: ${setup.error}` };
  process.send?.({ started: true });
  timing = true;
  started = performance.now();
  last = started;
  const out = evaluate(probe.run);
  const ended = performance.now();
  timing = false;
  gap = Math.max(gap, ended - last);
  closeSync(fd);
  return {
    ms: ended - started,
    gapMs: gap,
    polls,
    result: (out.value ?? '').slice(0, 40),
    ...(out.error ? { error: out.error.slice(0, 120) } : {}),
  };
}

/** A probe killed at the cap: how long it ran, and whether it had kept asking the handler. */
interface Stopped {
  stopped: true;
  gapMs: number;
  polls: number;
}

function probeIn(engine: string, index: number, bootstrap: boolean): Promise<Outcome | Stopped> {
  const status = resolve(tmpdir(), `corral-native-builtins-${process.pid}-${engine}-${index}.json`);
  return new Promise((resolvePromise, reject) => {
    const args = ['--probe', JSON.stringify({ engine, index, bootstrap, status })];
    const child = fork(fileURLToPath(import.meta.url), args, {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (o: Outcome | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (o) resolvePromise(o);
      else {
        let seen = { gapMs: 0, polls: 0, ms: 0 };
        try {
          seen = JSON.parse(readFileSync(status, 'utf8')) as typeof seen;
        } catch {
          // never asked: no status written
        }
        // The stretch since the last report counts as a gap too.
        resolvePromise({ stopped: true, polls: seen.polls, gapMs: Math.max(seen.gapMs, CAP_MS - seen.ms) });
      }
      rmSync(status, { force: true });
    };
    child.on('message', (m: { started?: true; outcome?: Outcome }) => {
      if (m.started) timer = setTimeout(() => settle(null), CAP_MS);
      if (m.outcome) settle(m.outcome);
    });
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`probe ${index} on ${engine} exited with ${code}`));
    });
  });
}

const fmt = (ms: number): string =>
  ms >= 60_000
    ? `${(ms / 60_000).toFixed(ms >= 600_000 ? 0 : 1)} min`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms >= 10
        ? `${ms.toFixed(0)} ms`
        : `${ms.toFixed(1)} ms`;

/** What one engine did with one probe, as one table cell. */
function cell(probe: Probe, o: Outcome | Stopped): { time: string; polls: string; worst: string } {
  if ('stopped' in o) {
    // The status is written every 50 ms, so a probe that kept asking shows a gap about that long.
    // On a loaded machine the child may stall past that, so the count decides: a native that
    // never asks leaves it at 0.
    const polls = o.polls >= 5 ? 'yes' : 'no';
    return {
      time: `> ${fmt(CAP_MS)} (stopped)${polls === 'no' ? `, gap ${fmt(o.gapMs)}` : ''}`,
      polls,
      worst:
        polls === 'yes'
          ? 'interruptible'
          : probe.scale
            ? `≥ ${fmt(CAP_MS * probe.scale)}`
            : `> ${fmt(CAP_MS)}`,
    };
  }
  const memory = o.error && /out of memory|RangeError|InternalError/.test(o.error) ? ' (throws)' : '';
  // Polls: asked at least every few ms, or the call is short enough that it cannot matter.
  const polls = o.ms < 5 ? '—' : o.gapMs < Math.max(5, o.ms / 10) ? 'yes' : 'no';
  const worst =
    polls === 'yes'
      ? 'interruptible'
      : probe.scale && probe.scale > 1 && !memory
        ? `~${fmt(o.ms * probe.scale)}`
        : fmt(o.ms);
  return {
    time: `${fmt(o.ms)}${memory}${polls === 'no' ? `, gap ${fmt(o.gapMs)}` : ''}`,
    polls,
    worst,
  };
}

/** What the bootstrap made of one probe on one engine. */
function guardedCell(o: Outcome | Stopped): string {
  if ('stopped' in o) return o.polls >= 5 ? 'polls' : `no poll (> ${fmt(CAP_MS)})`;
  if (o.error && /is past \d+, more elements/.test(o.error)) return `RangeError (${fmt(o.ms)})`;
  if (o.ms >= 5 && o.gapMs < Math.max(5, o.ms / 10)) return `polls (${fmt(o.ms)})`;
  return o.ms < 5 ? fmt(o.ms) : `no poll (${fmt(o.ms)})`;
}

async function main(): Promise<void> {
  const only = process.env.SURVEY_ONLY;
  const chosen = PROBES.map((p, i) => [p, i] as const).filter(([p]) => !only || p.name.includes(only));
  const rows: string[][] = [];
  const raw: Record<string, Record<string, Outcome | Stopped>> = {};
  for (const [probe, index] of chosen) {
    const cells = [];
    raw[probe.name] = {};
    const guardedCells: string[] = [];
    for (const [engine] of ENGINES) {
      const outcome = await probeIn(engine, index, false);
      raw[probe.name]![engine] = outcome;
      cells.push(cell(probe, outcome));
      guardedCells.push(guardedCell(await probeIn(engine, index, true)));
    }
    const row = [
      probe.name,
      probe.size,
      ...cells.map((c) => c.time),
      cells.map((c) => c.polls).join(' / '),
      probe.worst ?? 'as measured',
      cells.map((c) => c.worst).join(' / '),
      guardedCells.join(' / '),
    ];
    rows.push(row);
    console.log(
      row.join(' | '),
      Object.values(raw[probe.name]!)
        .map((o) => ('error' in o && o.error ? `[${o.error}]` : ''))
        .join(' '),
    );
  }
  const header = [
    'built-in',
    'measured size',
    'quickjs',
    'quickjs-ng',
    'polls (qjs / ng)',
    'worst case',
    'worst time (qjs / ng)',
    'under the bootstrap (qjs / ng)',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => c.replace(/\|/g, '\\|').padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join(
    '\n',
  );
  const doc = `# Long native built-ins: survey

Written by \`bench/nativeBuiltins.ts\`; edit the script, not this file.
Date ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}.

Each probe ran in a raw VM (${MEMORY_BYTES / 1024 / 1024} MiB memory limit, an interrupt handler that
records when it is asked and never interrupts), in a child process killed after ${fmt(CAP_MS)}, then
again after Corral's bootstrap (last column: "RangeError" is a guard's refusal, "polls" means the
deadline can stop it). "gap" is the longest stretch without asking the handler;
"polls" is "yes" when it was asked every few ms ("—": too short to tell). The worst time scales the
measured one to the worst case, assuming linear cost (n·m for searches; quadratic and exponential
cases scaled as noted).

${table}
`;
  const out =
    process.env.SURVEY_OUT ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', 'NATIVE-BUILTINS.md');
  if (out !== '-' && !only) {
    // Formatted as the repository's Prettier config wants, so `prettier --check` passes on it.
    writeFileSync(out, await format(doc, { ...((await resolveConfig(out)) ?? {}), filepath: out }));
    console.log(`written to ${out}`);
  } else console.log(`\n${table}`);
}

const probeArg = process.argv.indexOf('--probe');
if (probeArg === -1) await main();
else {
  const { engine, index, bootstrap, status } = JSON.parse(process.argv[probeArg + 1]!) as {
    engine: string;
    index: number;
    bootstrap: boolean;
    status: string;
  };
  const outcome = await runProbe(engine, PROBES[index]!, bootstrap, status);
  process.send!({ outcome }, () => process.exit(0));
}
