/**
 * The commands as a person or a script meets them: the real bin in a child process, its stdout,
 * stderr and exit code (0 ok, 1 the plugin failed, 2 bad usage).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corral, fixtures } from './run.js';

const counter = join(fixtures, 'counter.js');
const temp = mkdtempSync(join(tmpdir(), 'corral-cli-'));
function file(name: string, text: string): string {
  const path = join(temp, name);
  writeFileSync(path, text);
  return path;
}

/** A user error prints a code, a message and a hint, never a stack trace. */
function expectUserError(stderr: string, code: string): void {
  expect(stderr).toMatch(new RegExp(`^error ${code}: `));
  expect(stderr).toMatch(/\n {2}hint: \S/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('corral render', () => {
  it('prints the tree as an indented outline, bindings and settings included', async () => {
    const r = await corral(['render', counter, '--state', '{"count":41}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'panel "Counter"',
        '  text "Count: 41"',
        '  button "+1" variant="primary" onClick → add(1)',
        '  button "Double" onClick → double',
        '',
      ].join('\n'),
    );
  });

  it('prints the tree as JSON with --json, for another widget at a given time', async () => {
    const r = await corral(['render', counter, '--widget', 'clock', '--now', '86400000', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ kind: 'heading', level: 2, text: '1970-01-02T00:00:00.000Z' });
  });

  it('renders a .tsx plugin, bundled on the way', async () => {
    const tsx = file(
      'hello.tsx',
      `const who: string = 'world';\ndefinePlugin({ widgets: { main: { render: () => <text tone="muted">hello {who}</text> } } });\n`,
    );
    const r = await corral(['render', tsx]);
    expect(r.stdout).toBe('text "hello world" tone="muted"\n');
    expect(r.code).toBe(0);
  });
});

describe('corral event', () => {
  it('fires a handler: prints the stamped dispatches and the new state, logs on stderr', async () => {
    const r = await corral(['event', counter, '--handler', 'double', '--state', '{"count":3}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'dispatch plugin add 3\ndispatch global counter/doubled {"from":3}\nstate {\n  "count": 6\n}\n',
    );
    expect(r.stderr).toBe('log info: doubling 3\n');
  });

  it('fires a reducer a binding names directly, with --payload as its args; --json for scripts', async () => {
    const r = await corral(['event', counter, '-h', 'add', '-s', '{"count":1}', '-p', '5', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { state: unknown; dispatches: { type: string; payload: unknown }[] };
    expect(out.state).toEqual({ count: 6 });
    expect(out.dispatches.map((d) => [d.type, d.payload])).toEqual([['add', 5]]);
  });
});

describe('corral check', () => {
  it('reports code bytes, widgets, handlers, reducers, heap and render time against the limits', async () => {
    const r = await corral(['check', counter]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`ok ${counter}: "Counter" loads and renders under the default profile`);
    expect(r.stdout).toMatch(/ {2}code +1\.\d KiB of 1\.0 MiB \(maxCodeBytes\)/);
    expect(r.stdout).toMatch(/ {2}widgets +2: main, clock \(every 1000 ms\)/);
    expect(r.stdout).toMatch(/ {2}handlers +1: double\n {2}reducers +1: add\n/);
    expect(r.stdout).toMatch(/ {2}heap +\d+\.\d KiB of 24\.0 MiB \(memoryBytes\)/);
    expect(r.stdout).toMatch(/ {2}load +[\d.]+ ms of 250 ms\n/);
    expect(r.stdout).toMatch(/ {2}render main +[\d.]+ ms of 50 ms \(best of 3\), 4 of 10000 nodes, \d+ B/);
  });

  it('reports as JSON, the code size being the file size, under the profile asked for', async () => {
    const r = await corral(['check', counter, '--json', '--profile', 'generous']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown> & { limits: { memoryBytes: number } };
    expect(report).toMatchObject({
      title: 'Counter',
      profile: 'generous',
      codeBytes: statSync(counter).size,
      bundle: null,
      handlers: ['double'],
      reducers: ['add'],
      widgets: [
        expect.objectContaining({ id: 'main', nodes: 4 }),
        expect.objectContaining({ id: 'clock', refreshMs: 1000 }),
      ],
    });
    expect(report.limits.memoryBytes).toBe(32 * 1024 * 1024);
    expect(report.heapBytes).toBeGreaterThan(0);
    expect(report.heapBytes).toBeLessThan(report.limits.memoryBytes);
  });

  it('fails with exit 1 on a tree the contract refuses, naming the kind and the allowed ones', async () => {
    const bad = file(
      'html.js',
      `definePlugin({ widgets: { main: { render: () => ({ kind: 'html' }) } } });\n`,
    );
    const r = await corral(['check', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectUserError(r.stderr, 'INVALID_OUTPUT');
    expect(r.stderr).toContain("kind 'html' is not a UINode kind; expected one of panel, row, column, text");
  });

  it('fails with exit 1 on a render that never ends, against the profile’s deadline', async () => {
    const loop = file('loop.js', `definePlugin({ widgets: { main: { render: () => { for (;;) {} } } } });\n`);
    const r = await corral(['check', loop]);
    expect(r.code).toBe(1);
    expectUserError(r.stderr, 'LIMIT_TIME');
    expect(r.stderr).toContain(
      "the render of widget 'main' did not finish within 1000 ms and was interrupted; the default profile allows 50 ms",
    );
  });

  it('fails with exit 1 on a syntax error, at the line and column of the person’s file', async () => {
    const bad = file('syntax.js', `definePlugin({ widgets: {} });\nfoo(\n`);
    const r = await corral(['check', bad]);
    expect(r.code).toBe(1);
    expectUserError(r.stderr, 'LOAD_FAILED');
    expect(r.stderr).toContain(`(${bad}:3:1)`);
  });

  it('fails with exit 1 on a plugin that never calls definePlugin', async () => {
    const r = await corral(['check', file('empty.js', 'var x = 1;\n')]);
    expect(r.code).toBe(1);
    expectUserError(r.stderr, 'INVALID_PLUGIN');
  });
});

describe('corral build', () => {
  it('bundles a .tsx plugin and its imports into one script a host loads', async () => {
    file('label.ts', `export const label = (n: number): string => 'Count: ' + n;\n`);
    const entry = file(
      'app.tsx',
      `import { label } from './label';\ndefinePlugin({ initialState: { n: 2 }, widgets: { main: { render: ({ pluginState }) => <text>{label(pluginState.n)}</text> } } });\n`,
    );
    const out = join(temp, 'dist', 'app.js');
    const built = await corral(['build', entry, '-o', out]);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(new RegExp(`^built ${out} \\([\\d.]+ KiB from 3 files\\) in \\d+ ms\\n$`));
    expect(readFileSync(out, 'utf8')).not.toContain('import');
    const rendered = await corral(['render', out]);
    expect(rendered.stdout).toBe('text "Count: 2"\n');
  });

  it('writes the script to stdout without -o', async () => {
    const r = await corral([
      'build',
      file('tiny.ts', `definePlugin({ widgets: { main: { render: () => ({ kind: 'divider' }) } } });\n`),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\(\(\) => {\n[\s\S]*kind: "divider"[\s\S]*}\)\(\);\n$/);
  });

  it('fails with exit 1 on a Node built-in, at file:line:column, saying why', async () => {
    const entry = file(
      'fs.ts',
      `import { readFileSync } from 'node:fs';\ndefinePlugin({ widgets: { main: { render: () => ({ kind: 'text', text: readFileSync('x', 'utf8') }) } } });\n`,
    );
    const r = await corral(['build', entry]);
    expect(r.code).toBe(1);
    expectUserError(r.stderr, 'BUILD_FAILED');
    expect(r.stderr).toMatch(
      /fs\.ts:1:\d+: 'node:fs' is a Node built-in; plugins run in QuickJS without Node APIs/,
    );
  });
});

describe('usage errors exit 2 and say what would work', () => {
  it.each([
    [['frob'], 'USAGE', "unknown command 'frob'"],
    [['render'], 'USAGE', "missing required argument 'plugin'"],
    [['event', counter], 'USAGE', "required option '-h, --handler <name>' not specified"],
    [['render', 'nope.js'], 'FILE_NOT_FOUND', 'no plugin file at nope.js'],
    [['render', counter, '--state', '{count:1}'], 'BAD_JSON', '--state is not JSON'],
    [['render', counter, '--widget', 'side'], 'USAGE', "no widget 'side'\n  hint: use one of: main, clock"],
    [
      ['event', counter, '-h', 'inc'],
      'USAGE',
      "no handler or reducer 'inc'\n  hint: use one of: double, add",
    ],
    [['check', counter, '--profile', 'huge'], 'USAGE', 'use one of strict, default, generous'],
  ])('corral %j', async (args, code, text) => {
    const r = await corral(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectUserError(r.stderr, code);
    expect(r.stderr).toContain(text);
  });

  it('prints the commands and exits 2 when given none; --help exits 0', async () => {
    const none = await corral([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: corral[\s\S]*init <dir>[\s\S]*dev \[options\] <plugin>/);
    const help = await corral(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: corral');
  });
});
