/**
 * @module bench-kit
 * The one writer of the `RESULTS.md` each package's benchmark leaves next to its README: the
 * machine, the date, the engine and the tables of one run. READMEs link to that file instead of
 * quoting figures, so a figure is always from a named run on a named machine, and history stays in
 * git. A package with two bench scripts shares one file: each script's run is a part of its own,
 * and a run replaces only its own part. Node-only tooling for the benches; nothing that ships
 * imports it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, arch, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';

/** One table of a run. Cells are plain text (a `|` is escaped); the first column names the row. */
export interface ResultsTable {
  /** Heading above the table. */
  title: string;
  columns: readonly string[];
  rows: readonly (readonly string[])[];
  /** Sentences printed under the table, one paragraph each. */
  notes?: readonly string[];
}

/** What one run of a package's bench measured. */
export interface BenchResults {
  /** The package, e.g. `@corral/core`. */
  name: string;
  /** The bench script relative to the package, e.g. `bench/core.bench.ts`. */
  script: string;
  /** The QuickJS engine(s) measured, e.g. `quickjs, quickjs-ng`. */
  engine: string;
  /** What code ran: `dist` (what ships) or `src (tsx)`. */
  build: string;
  /** One sentence: what the ratios are taken against, measured in the same run. */
  floor: string;
  tables: readonly ResultsTable[];
}

/** The machine a run was measured on. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function machineInfo(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() || 'unknown CPU',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${arch()}`,
    node: process.version,
  };
}

/**
 * A table cell as plain text: pipes and newlines cannot stay raw, and outside code spans `_` and
 * `*` are escaped so that a name such as `__proto__` is not read as emphasis.
 */
const cell = (text: string): string =>
  text
    .replace(/\n/g, ' ')
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/[_*]/g, '\\$&')))
    .join('`')
    .replace(/\|/g, '\\|');

function table(t: ResultsTable): string[] {
  const width = t.columns.length;
  for (const row of t.rows)
    if (row.length !== width)
      throw new Error(`table "${t.title}": a row has ${row.length} cells, the header ${width}`);
  return [
    `## ${t.title}`,
    '',
    `| ${t.columns.map(cell).join(' | ')} |`,
    `| ${t.columns.map(() => '---').join(' | ')} |`,
    ...t.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
    ...(t.notes ?? []).flatMap((note) => ['', note]),
    '',
  ];
}

/** The comment that opens one bench script's part of a RESULTS.md. */
const partMarker = (script: string): string => `<!-- results of ${script} -->`;
const PART_MARKER = /^<!-- results of (\S+) -->$/gm;

/** The Markdown of one run (not yet formatted by Prettier). Pure, so it can be tested. */
export function formatResults(results: BenchResults, machine: Machine, date: Date): string {
  return [`# Benchmark results: ${results.name}`, '', formatPart(results, machine, date)].join('\n');
}

/**
 * `existing` (a RESULTS.md) with the part of `results.script` replaced by this run, or added at
 * the end; the parts of other scripts are kept as they are. Pure, so it can be tested.
 */
export function mergeResults(existing: string, results: BenchResults, machine: Machine, date: Date): string {
  const parts = splitParts(existing);
  parts.set(results.script, formatPart(results, machine, date));
  return [`# Benchmark results: ${results.name}`, '', ...parts.values()].join('\n');
}

/** Each script's part of a RESULTS.md, in file order. */
function splitParts(text: string): Map<string, string> {
  const body = text.replace(/^# .*\n+/, '');
  const marks = [...body.matchAll(PART_MARKER)];
  const parts = new Map<string, string>();
  // A file written before parts existed is one part, of the script its first sentence names.
  const head = body.slice(0, marks[0]?.index ?? body.length).trim();
  const script = /Written by `pnpm bench`\s+\(`([^`]+)`\)/.exec(head)?.[1];
  if (script) parts.set(script, `${partMarker(script)}\n\n${head}\n`);
  marks.forEach((mark, i) => {
    const end = marks[i + 1]?.index ?? body.length;
    parts.set(mark[1]!, `${body.slice(mark.index, end).trim()}\n`);
  });
  return parts;
}

/** One run: which script, when, where, then its tables. */
function formatPart(results: BenchResults, machine: Machine, date: Date): string {
  const when = date.toISOString().replace('T', ' ').slice(0, 16);
  return [
    partMarker(results.script),
    '',
    `Written by \`pnpm bench\` (\`${results.script}\`) at the end of every run; edit the bench, not`,
    'this file. Times are medians unless marked p95.',
    '',
    `- **Date:** ${when} UTC`,
    `- **Machine:** ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}`,
    `- **Node:** ${machine.node}`,
    `- **Engine:** ${results.engine}`,
    `- **Code:** ${results.build}`,
    `- **Floor:** ${results.floor}`,
    '',
    ...results.tables.flatMap(table),
  ].join('\n');
}

/**
 * Write `RESULTS.md` into `packageDir` (or to `$CORRAL_BENCH_RESULTS`; `0` writes nothing),
 * formatted as the repository's Prettier config wants, so `prettier --check` passes on it. Only
 * this script's part of an existing file is replaced (see `mergeResults`). Returns the path
 * written, or null.
 */
export async function writeResults(packageDir: string, results: BenchResults): Promise<string | null> {
  const target = process.env.CORRAL_BENCH_RESULTS;
  if (target === '0') return null;
  const path = target ? resolve(target) : join(packageDir, 'RESULTS.md');
  const markdown = existsSync(path)
    ? mergeResults(readFileSync(path, 'utf8'), results, machineInfo(), new Date())
    : formatResults(results, machineInfo(), new Date());
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(markdown, { ...config, filepath: path }));
  return path;
}
