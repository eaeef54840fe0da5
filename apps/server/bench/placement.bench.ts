/**
 * @module placement.bench
 * `pnpm bench` (not a test): what each placement of the hybrid router costs, in one run, for the
 * routing guide (docs/routing.md). The local side is a Node worker pool (`createNodeSandbox`), the
 * server side is `node dist/main.js` on loopback reached through core's HTTP client; both are
 * measured directly and through `createHybridSandbox`, one call at a time, in alternating rounds.
 * Writes its part of RESULTS.md beside the README (@corral/bench-kit).
 *
 * Env: CORRAL_BENCH_DIR (fixtures), CORRAL_BENCH_CALLS (calls per arm and round, default 500).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { writeResults } from '@corral/bench-kit';
import type { JSONValue } from '@corral/contracts';
import { createHttpSandbox, createHybridSandbox, createInProcessSandbox } from '@corral/core';
import { createNodeSandbox } from '@corral/worker-node';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = resolve(here, '..');
const benchDir = process.env.CORRAL_BENCH_DIR ?? resolve(serverDir, '../../../shared/bench');
const calls = Number(process.env.CORRAL_BENCH_CALLS ?? 500);
const rounds = 3;
const todo50 = readFileSync(join(benchDir, 'todo50.plugin.js'), 'utf8');
const todo50State = JSON.parse(readFileSync(join(benchDir, 'todo50.state.json'), 'utf8')) as JSONValue;
const render = { pluginId: 'todo50', widgetId: 'main', pluginState: todo50State, globalState: {} };

function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: serverDir,
    env: { ...process.env, PORT: '0', CORRAL_LOG_LEVEL: 'warn', CORRAL_RATE_LIMIT_MAX: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolvePromise({ url: match[1]!, child });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`dist/main.js exited with ${code}: ${out}`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

async function time(call: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await call();
  return performance.now() - start;
}

const { url, child } = await startServer();
const http = createHttpSandbox({ baseUrl: url });
const local = await createNodeSandbox({ poolSize: 1 });
const inThread = await createInProcessSandbox({ variant: quickjs });
const design = createHybridSandbox({ local, server: http, context: 'design' });
const production = createHybridSandbox({ local, server: http, context: 'production' });
for (const client of [http, local, inThread]) await client.loadPlugin({ pluginId: 'todo50', code: todo50 });
await design.loadPlugin({ pluginId: 'todo50', code: todo50 });
await production.loadPlugin({ pluginId: 'todo50', code: todo50 });
await design.loadPlugin({ pluginId: 'todo50-server', code: todo50 }, { placement: 'server' });

const serverRender = { ...render, pluginId: 'todo50-server' };
let preview = 0;
const arms: Array<[string, () => Promise<unknown>]> = [
  ['in-thread (core runtime, no worker)', () => inThread.render(render)],
  ['local: Node worker, direct', () => local.render(render)],
  ['local: Node worker, through the router (auto, design)', () => design.render(render)],
  ['server: HTTP on loopback, direct', () => http.render(render)],
  ['server: HTTP, through the router (placement server)', () => design.render(serverRender)],
  [
    'production auto: server answer (local preview beside it)',
    () => {
      const start = performance.now();
      return production.render(render, { onPreview: () => (preview = performance.now() - start) });
    },
  ],
];
const samples = new Map<string, number[]>(arms.map(([name]) => [name, []]));
const previews: number[] = [];
for (const [, call] of arms) for (let i = 0; i < 100; i++) await call(); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, call] of arms) {
    for (let i = 0; i < calls; i++) {
      samples.get(name)!.push(await time(call));
      if (name.startsWith('production')) previews.push(preview);
    }
  }
}

// First load: a fresh plugin id each time (the server and the worker have not seen it).
const firstLoads = { local: [] as number[], server: [] as number[] };
for (let i = 0; i < 20; i++) {
  const params = { pluginId: `fresh-${i}`, code: todo50 };
  for (const [side, client] of [
    ['local', local],
    ['server', http],
  ] as const) {
    firstLoads[side].push(
      await time(async () => {
        await client.loadPlugin(params);
        await client.render({ ...render, pluginId: params.pluginId });
      }),
    );
  }
}
// Cold: a new Node sandbox from nothing to the first tree.
const cold: number[] = [];
for (let i = 0; i < 5; i++) {
  cold.push(
    await time(async () => {
      const fresh = await createNodeSandbox({ poolSize: 1 });
      await fresh.loadPlugin({ pluginId: 'todo50', code: todo50 });
      await fresh.render(render);
      await fresh.close();
    }),
  );
}

await Promise.all([design.close(), production.close(), inThread.close()]);
child.kill('SIGTERM');

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const direct = {
  local: median(samples.get('local: Node worker, direct')!),
  server: median(samples.get('server: HTTP on loopback, direct')!),
};
const rows = arms.map(([name]) => {
  const xs = samples.get(name)!;
  const against = name.startsWith('local')
    ? direct.local
    : name.startsWith('in-thread')
      ? NaN
      : direct.server;
  const ratio =
    Number.isFinite(against) && !name.endsWith('direct') ? `${(median(xs) / against).toFixed(2)}×` : '';
  return [name, ms(median(xs)), ms(p95(xs)), ratio];
});
rows.push(['↳ its local preview, ready after', ms(median(previews)), ms(p95(previews)), '']);
const results = await writeResults(serverDir, {
  name: '@corral/server',
  script: 'bench/placement.bench.ts',
  engine: 'quickjs',
  build: 'dist (server `node dist/main.js`, worker threads from dist)',
  floor: 'each side called directly, in the same run; the router rows are ratios against it.',
  tables: [
    {
      title: 'A todo50 render, one call at a time',
      columns: ['path', 'p50', 'p95', 'router ÷ direct'],
      rows,
      notes: [
        `${rounds} alternating rounds of ${calls} calls per path. "Production auto" runs the render on both sides and answers with the server's tree (authoritative replay); its preview row is when the local tree was ready.`,
      ],
    },
    {
      title: 'First load: a plugin neither side has seen, load + first render',
      columns: ['side', 'p50', 'p95'],
      rows: [
        ['local: Node worker (pool already up)', ms(median(firstLoads.local)), ms(p95(firstLoads.local))],
        ['server: HTTP on loopback', ms(median(firstLoads.server)), ms(p95(firstLoads.server))],
        ['local, cold: new Node sandbox → first tree (5 runs)', ms(median(cold)), ms(Math.max(...cold))],
      ],
    },
  ],
});
console.log(results ? `wrote ${results}` : 'results not written');
