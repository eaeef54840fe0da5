import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatResults, machineInfo, writeResults, type BenchResults } from '../src/index.js';

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

  it("writes a second bench's file under the name it gives", async () => {
    const path = await writeResults(dir, { ...results, file: 'RESULTS-second.md' });
    expect(path).toBe(join(dir, 'RESULTS-second.md'));
    expect(readFileSync(path!, 'utf8')).toContain(`**Node:** ${process.version}`);
  });

  it('writes elsewhere, or nothing, when CORRAL_BENCH_RESULTS says so', async () => {
    process.env.CORRAL_BENCH_RESULTS = join(dir, 'other.md');
    expect(await writeResults(dir, results)).toBe(join(dir, 'other.md'));
    process.env.CORRAL_BENCH_RESULTS = '0';
    expect(await writeResults(dir, results)).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
