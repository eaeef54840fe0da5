/**
 * @module bench-kit
 * The one writer of the `RESULTS.md` each package's benchmark leaves next to its README: the
 * machine, the date, the engine and the tables of one run. READMEs link to that file instead of
 * quoting figures, so a figure is always from a named run on a named machine, and history stays in
 * git. Node-only tooling for the benches; nothing that ships imports it.
 */
import { writeFileSync } from 'node:fs';
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
  /** The file written beside the README. Default `RESULTS.md`; a package's second bench names its own. */
  file?: string;
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

/** The Markdown of one run (not yet formatted by Prettier). Pure, so it can be tested. */
export function formatResults(results: BenchResults, machine: Machine, date: Date): string {
  const when = date.toISOString().replace('T', ' ').slice(0, 16);
  return [
    `# Benchmark results: ${results.name}`,
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
 * Write `RESULTS.md` (or `results.file`) into `packageDir` (or to `$CORRAL_BENCH_RESULTS`; `0` writes nothing),
 * formatted as the repository's Prettier config wants, so `prettier --check` passes on it.
 * Returns the path written, or null.
 */
export async function writeResults(packageDir: string, results: BenchResults): Promise<string | null> {
  const target = process.env.CORRAL_BENCH_RESULTS;
  if (target === '0') return null;
  const path = target ? resolve(target) : join(packageDir, results.file ?? 'RESULTS.md');
  const markdown = formatResults(results, machineInfo(), new Date());
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(markdown, { ...config, filepath: path }));
  return path;
}
