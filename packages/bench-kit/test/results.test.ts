import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatResults, machineInfo, mergeResults, writeResults, type BenchResults } from '../src/index.js';

const results: BenchResults = {
  name: '@corral/example',
  script: 'bench/example.bench.ts',
  engine: 'quickjs',
  build: 'dist',
  floor: 'a raw quickjs-emscripten VM, JSON strings both ways.',
  tables: [
    {
      title: 'Calls',
      columns: ['metric', 'raw', 'corral', 'ratio'],
      rows: [['render a|b p50', '200 µs', '230 µs', '1.15×']],
      notes: ['One note.'],
    },
  ],
};
const machine = { cpu: 'Test CPU 3000', cores: 2, memoryGiB: 24, os: 'linux x64', node: 'v20.20.0' };

describe('formatResults', () => {
  const text = formatResults(results, machine, new Date('2026-12-04T23:45:12Z'));

  it('names the machine, the date, the node version, the engine and the floor', () => {
    expect(text).toContain('Test CPU 3000, 2 cores, 24 GiB, linux x64');
    expect(text).toContain('2026-12-04 23:45 UTC');
    expect(text).toContain('**Node:** v20.20.0');
    expect(text).toContain('**Engine:** quickjs');
    expect(text).toContain('**Floor:** a raw quickjs-emscripten VM');
  });

  it('writes each table under its title, escaping pipes in cells', () => {
    expect(text).toContain('## Calls\n\n| metric | raw | corral | ratio |\n| --- | --- | --- | --- |');
    expect(text).toContain('| render a\\|b p50 | 200 µs | 230 µs | 1.15× |\n\nOne note.');
  });

  it('keeps underscores literal outside code spans, and code spans as they are', () => {
    const named = {
      ...results,
      tables: [{ title: 'T', columns: ['piece'], rows: [['size, "__proto__", `a_b`']] }],
    };
    expect(formatResults(named, machine, new Date())).toContain('| size, "\\_\\_proto\\_\\_", `a_b` |');
  });

  it('refuses a row whose width differs from its header', () => {
    const bad = { ...results, tables: [{ title: 'T', columns: ['a', 'b'], rows: [['1']] }] };
    expect(() => formatResults(bad, machine, new Date())).toThrow(/a row has 1 cells, the header 2/);
  });
});

describe('mergeResults', () => {
  const other: BenchResults = {
    ...results,
    script: 'bench/other.bench.ts',
    tables: [{ title: 'Other', columns: ['a'], rows: [['1']] }],
  };
  const first = formatResults(results, machine, new Date('2026-12-04T23:45:12Z'));

  it("adds another script's run as a part of its own and keeps the first", () => {
    const both = mergeResults(first, other, machine, new Date('2026-12-05T10:00:00Z'));
    expect(both.match(/^# Benchmark results/gm)).toHaveLength(1);
    expect(both).toContain('2026-12-04 23:45 UTC');
    expect(both).toContain('## Calls');
    expect(both).toContain('2026-12-05 10:00 UTC');
    expect(both.indexOf('## Calls')).toBeLessThan(both.indexOf('## Other'));
  });

  it('replaces only the part of the script that ran again', () => {
    const both = mergeResults(first, other, machine, new Date('2026-12-05T10:00:00Z'));
    const again = mergeResults(
      both,
      { ...results, tables: [{ title: 'Calls again', columns: ['a'], rows: [['2']] }] },
      machine,
      new Date('2026-12-06T08:00:00Z'),
    );
    expect(again).not.toContain('## Calls\n');
    expect(again).toContain('## Calls again');
    expect(again).toContain('## Other');
    expect(again).toContain('2026-12-05 10:00 UTC');
    expect(again).not.toContain('2026-12-04 23:45 UTC');
    expect(again.indexOf('## Calls again')).toBeLessThan(again.indexOf('## Other'));
  });

  it('reads a file written before parts existed as the part of the script it names', () => {
    const old = first.replace(/^<!-- results of .* -->\n\n/m, '');
    const both = mergeResults(old, other, machine, new Date('2026-12-05T10:00:00Z'));
    expect(both).toContain('<!-- results of bench/example.bench.ts -->');
    expect(both).toContain('## Calls');
    expect(both).toContain('## Other');
  });
});

describe('writeResults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-kit-'));
  afterEach(() => {
    delete process.env.CORRAL_BENCH_RESULTS;
  });

  it('writes RESULTS.md into the package directory, with this machine in it', async () => {
    const path = await writeResults(dir, results);
    expect(path).toBe(join(dir, 'RESULTS.md'));
    const text = readFileSync(path!, 'utf8');
    expect(text).toContain(`**Node:** ${process.version}`);
    expect(text).toContain(`${machineInfo().cores} cores`);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('writes elsewhere, or nothing, when CORRAL_BENCH_RESULTS says so', async () => {
    process.env.CORRAL_BENCH_RESULTS = join(dir, 'other.md');
    expect(await writeResults(dir, results)).toBe(join(dir, 'other.md'));
    process.env.CORRAL_BENCH_RESULTS = '0';
    expect(await writeResults(dir, results)).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
