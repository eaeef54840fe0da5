/**
 * What someone outside the repository gets from `npm install`: the packed tarballs (no workspace,
 * no links back here) installed with npm into a temporary directory, third-party packages from the
 * registry, then used the way the READMEs say: a plugin run in @corral/worker-node's worker
 * threads and in @corral/core in-thread, the `corral` command, a TSX plugin bundled by @corral/build and tested with
 * @corral/testkit, an embedder's TypeScript checked against the shipped types, and the getting
 * started guide's Node blocks run as written.
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTarball, repoRoot } from './workspace.js';

const run = promisify(execFile);
const tarballs = inject('tarballs');

/** The environment without what pnpm, turbo or vitest set for this repository's own scripts. */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|TURBO_|VITEST|NODE_OPTIONS$)/i.test(name)),
);

const COUNTER = `definePlugin({
  initialState: { count: 0 },
  reducers: { add: (state, by) => ({ count: state.count + by }) },
  widgets: { main: { render: (ctx) => ({ kind: 'button', label: 'Count: ' + ctx.pluginState.count,
    onClick: { handler: 'add', args: 1 } }) } } });`;

/** Load, render, click, render again: what a host does with a counter. */
const counterRound = (sandbox: string) => `
const code = ${JSON.stringify(COUNTER)};
const sandbox = await ${sandbox};
const meta = await sandbox.loadPlugin({ pluginId: 'counter', code });
const args = { pluginId: 'counter', widgetId: 'main', globalState: {} };
const before = await sandbox.render({ ...args, pluginState: meta.initialState });
const next = await sandbox.event({ ...args, handler: 'add', event: { name: 'click', args: 1 }, pluginState: meta.initialState });
const after = await sandbox.render({ ...args, pluginState: next.pluginState });
console.log(JSON.stringify({ before: before.tree.label, after: after.tree.label, state: next.pluginState,
  dispatch: next.dispatches.map((d) => [d.type, d.meta.source]) }));
await sandbox.close();`;

describe('installed with npm outside the repository', () => {
  let dir: string;
  const node = async (script: string) =>
    (await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: userEnv })).stdout;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-install-'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'embedder', private: true, type: 'module' }),
    );
    // What an embedder adds besides Corral: an engine for core in-thread (the version core pins)
    // and Node's types for TypeScript.
    const core = await readTarball({ name: '@corral/core', version: '', dir: '' }, tarballs['@corral/core']!);
    const engine = core.manifest.dependencies!['@jitl/quickjs-wasmfile-release-sync']!;
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        ...Object.values(tarballs),
        `@jitl/quickjs-wasmfile-release-sync@${engine}`,
        '@types/node@20',
      ],
      { cwd: dir, env: userEnv },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs every public package as a plain copy, with every dependency satisfied', async () => {
    for (const name of Object.keys(tarballs)) {
      const installed = join(dir, 'node_modules', name);
      expect(lstatSync(installed).isSymbolicLink(), name).toBe(false);
      expect(realpathSync(installed).startsWith(realpathSync(dir)), name).toBe(true);
    }
    // npm ls exits non-zero on a missing, invalid or extraneous dependency anywhere in the tree.
    await expect(run('npm', ['ls', '--all'], { cwd: dir, env: userEnv })).resolves.toBeDefined();
  });

  it('runs a counter plugin in worker threads with @corral/worker-node', async () => {
    const out = await node(
      `import { createNodeSandbox } from '@corral/worker-node';${counterRound('createNodeSandbox({ poolSize: 1 })')}`,
    );
    expect(JSON.parse(out)).toEqual({
      before: 'Count: 0',
      after: 'Count: 1',
      state: { count: 1 },
      dispatch: [['add', 'node-worker']],
    });
  });

  it('runs it in-thread with @corral/core and the engine the embedder installed', async () => {
    const out = await node(
      `import { createInProcessSandbox } from '@corral/core';
       import variant from '@jitl/quickjs-wasmfile-release-sync';${counterRound('createInProcessSandbox({ variant })')}`,
    );
    expect(JSON.parse(out)).toMatchObject({
      before: 'Count: 0',
      after: 'Count: 1',
      dispatch: [['add', 'in-thread']],
    });
  });

  it('bundles a TSX plugin with @corral/build and tests it with @corral/testkit', async () => {
    writeFileSync(join(dir, 'counter.tsx'), TSX_COUNTER);
    const out = await node(`
      import { buildPlugin } from '@corral/build';
      import { createPluginHarness } from '@corral/testkit';
      const { code } = await buildPlugin('counter.tsx');
      const harness = await createPluginHarness('counter.tsx');
      const view = await harness.render('main');
      const clicked = await view.get({ role: 'button', name: '+1' }).click();
      console.log(JSON.stringify({ jsxInlined: !/\\bimport\\b|require\\(/.test(code), state: clicked.state, texts: clicked.view.texts() }));
      await harness[Symbol.asyncDispose]();`);
    expect(JSON.parse(out)).toEqual({ jsxInlined: true, state: { count: 1 }, texts: ['Count: 1', '+1'] });
  });

  it('runs the installed corral command: render a plugin file, exit codes for a bad one', async () => {
    writeFileSync(join(dir, 'counter.js'), COUNTER);
    const corral = join(dir, 'node_modules/.bin/corral');
    const { stdout } = await run(corral, ['render', 'counter.js', '--json'], { cwd: dir, env: userEnv });
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'button', label: 'Count: 0' });
    writeFileSync(
      join(dir, 'broken.js'),
      'definePlugin({ widgets: { main: { render: () => ({ kind: "html" }) } } });',
    );
    const failed = await run(corral, ['render', 'broken.js'], { cwd: dir, env: userEnv }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining("'html'") as unknown });
  });

  it("typechecks an embedder's TypeScript and a TSX plugin against the shipped types", async () => {
    writeFileSync(join(dir, 'counter.tsx'), TSX_COUNTER);
    writeFileSync(join(dir, 'embed.ts'), EMBEDDER);
    writeFileSync(
      join(dir, 'wrong.tsx'),
      `definePlugin({ widgets: { main: { render: () => <html /> } } });\n`,
    );
    const tsconfig = (files: string[]) => ({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        target: 'es2022',
        lib: ['es2023', 'esnext.disposable', 'dom'],
        jsx: 'react-jsx',
        jsxImportSource: '@corral/plugin',
        types: ['node', '@corral/plugin'],
        skipLibCheck: false,
      },
      files,
    });
    const tsc = createRequire(join(repoRoot, 'packages/pack-check/package.json')).resolve(
      'typescript/bin/tsc',
    );
    const check = async (files: string[]) => {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(files)));
      try {
        await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, env: userEnv });
        return '';
      } catch (error) {
        return (error as { stdout: string }).stdout;
      }
    };
    // One program: the embedder and the plugin check clean, and the same types catch a mistake
    // (an element that is no UINode kind) — the one error.
    const errors = (await check(['embed.ts', 'counter.tsx', 'wrong.tsx'])).trim().split('\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.tsx\(1,\d+\): error TS\d+: .*html/);
  });

  it("runs the getting-started guide's Node blocks as written", async () => {
    const guide = readFileSync(join(repoRoot, 'docs/getting-started.md'), 'utf8');
    const blocks = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
      .map((m) => m[1]!)
      .filter((block) => !block.includes('createHttpSandbox')); // needs a server: run by apps/server's tests
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      const expected = [...block.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]);
      expect((await node(block)).trim().split('\n')).toEqual(expected);
    }
  });
});

const TSX_COUNTER = `interface State {
  count: number;
}
const initialState: State = { count: 0 };

definePlugin({
  initialState,
  reducers: { add: (state, by: number) => ({ count: state.count + by }) },
  widgets: {
    main: {
      render: ({ pluginState }) => (
        <row>
          <text>Count: {pluginState.count}</text>
          <button label="+1" onClick={{ handler: 'add', args: 1 }} />
        </row>
      ),
    },
  },
});
`;

const EMBEDDER = `import { createNodeSandbox, type NodeSandbox } from '@corral/worker-node';
import { ENGINES, createInProcessSandbox, type SandboxClient } from '@corral/core';
import { CorralError, type UINode } from '@corral/contracts';
import { createPluginHarness } from '@corral/testkit';
import { buildPlugin } from '@corral/build';

export async function embed(code: string): Promise<UINode> {
  const sandbox: NodeSandbox = await createNodeSandbox({ poolSize: 1 });
  // Not a default import of the @jitl variant: its types claim CommonJS, which node16/nodenext
  // resolution believes (core's README says so); core's engine table gives it typed.
  const inThread: SandboxClient = await createInProcessSandbox({ variant: await ENGINES.quickjs.load() });
  try {
    await sandbox.loadPlugin({ pluginId: 'p', code });
    const { tree } = await sandbox.render({ pluginId: 'p', widgetId: 'main', pluginState: null, globalState: null });
    return tree;
  } catch (error) {
    throw CorralError.fromUnknown(error);
  } finally {
    await Promise.all([sandbox.close(), inThread.close()]);
  }
}

export async function test(path: string): Promise<string[]> {
  const { bytes } = await buildPlugin(path);
  const harness = await createPluginHarness(path);
  const view = await harness.render('main');
  return [String(bytes), ...view.texts()];
}
`;
