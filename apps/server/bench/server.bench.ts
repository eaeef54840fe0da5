/**
 * @module server.bench
 * `pnpm bench` (not a test): autocannon against real servers on loopback, ~10 s per scenario. It
 * prints its figures and writes them to RESULTS.md beside the README (@corral/bench-kit).
 *
 * 1. a bare Express JSON route (bareServer.ts) — the baseline, measured in the same run;
 * 2. Corral rendering the todo50 widget through POST /v1/plugins/:id/render (target: at least
 *    50 % of the bare route's throughput);
 * 3. nine benign todo50 plugins rendered alone, then again while a tenth, hostile plugin is
 *    hammered with renders that loop until their deadline (and is re-loaded whenever it is
 *    disabled as PLUGIN_ERRORED) — target: benign p99 at most 2× the unloaded p99.
 *
 * Servers run as child processes so autocannon's own event loop is not theirs: Corral's as
 * `pnpm start` runs it, compiled (`node dist/main.js`, built by `pnpm bench` first, its worker
 * threads from the packages' dist), the bare route through tsx (its only code of ours is the
 * route handler, made once). Env: CORRAL_BENCH_DIR (fixtures), CORRAL_BENCH_SECONDS (default 10;
 * the bare and render scenarios run in CORRAL_BENCH_ROUNDS alternating rounds of half that,
 * default 3), CORRAL_BENCH_CONNECTIONS (default 10), CORRAL_POOL_SIZE (passed to the server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { writeResults } from '@corral/bench-kit';
import { LIMIT_PROFILES } from '@corral/contracts';
import { createNodeSandbox } from '@corral/worker-node';
import { DEFAULT_CONFIG } from '../src/config.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = resolve(here, '..');
const benchDir = process.env.CORRAL_BENCH_DIR ?? resolve(serverDir, '../../../shared/bench');
const seconds = Number(process.env.CORRAL_BENCH_SECONDS ?? 10);
const connections = Number(process.env.CORRAL_BENCH_CONNECTIONS ?? 10);
const rounds = Math.max(1, Number(process.env.CORRAL_BENCH_ROUNDS ?? 3));
const todo50 = readFileSync(join(benchDir, 'todo50.plugin.js'), 'utf8');
const todo50State: unknown = JSON.parse(readFileSync(join(benchDir, 'todo50.state.json'), 'utf8'));
const renderBody = JSON.stringify({ widgetId: 'main', pluginState: todo50State, globalState: {} });
const hostile = 'definePlugin({ widgets: { main: { render: function () { while (true) {} } } } })';
const json = { 'content-type': 'application/json' };

function start(
  script: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const args = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
  const child = spawn(process.execPath, args, {
    cwd: serverDir,
    env: { ...process.env, PORT: '0', CORRAL_LOG_LEVEL: 'warn', CORRAL_RATE_LIMIT_MAX: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    // The server's banner is on stderr (stdout carries only its JSON log lines).
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      if (env.CORRAL_LOG_LEVEL === 'info')
        process.stderr.write(`[${script}] ${chunk.toString().slice(0, 400)}`);
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolvePromise({ url: match[1]!, child });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      read(chunk);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
}

/**
 * POST JSON on a connection of its own. Not fetch: in this process undici's pooled keep-alive
 * sockets can be closed under a request after the autocannon runs ("other side closed").
 */
function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { ...json, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject).end(body);
  });
}

async function load(url: string, code: string): Promise<string> {
  const { status, text } = await post(`${url}/v1/plugins`, JSON.stringify({ code }));
  const pluginId = status === 201 ? (JSON.parse(text) as { pluginId: string }).pluginId : null;
  if (!pluginId) throw new Error(`load on ${url} failed: ${status} ${text.slice(0, 300)}`);
  return pluginId;
}

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function run(
  name: string,
  options: autocannon.Options,
  warmup = true,
  duration = seconds,
): Promise<Figures> {
  if (warmup) await autocannon({ ...options, duration: 2 });
  const result = await autocannon({ ...options, duration });
  const figures = {
    name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.log(
    `${name.padEnd(44)} ${String(figures.rps).padStart(6)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  non-2xx ${figures.non2xx}  errors ${figures.errors}`,
  );
  return figures;
}

const poolSize = process.env.CORRAL_POOL_SIZE;
console.log(
  `server bench: ${seconds} s per scenario, ${connections} connections, loopback, pool ${poolSize ?? 'default (cores - 1)'}`,
);
const bare = await start('bench/bareServer.ts', {
  BARE_RESPONSE_BYTES: String(
    await (async () => {
      // Size the bare answer like a real todo50 render answer.
      const probe = await start('dist/main.js', { CORRAL_POOL_SIZE: '1' });
      try {
        const id = await load(probe.url, todo50);
        return (await post(`${probe.url}/v1/plugins/${id}/render`, renderBody)).text.length;
      } finally {
        probe.child.kill('SIGTERM');
      }
    })(),
  ),
});
const corral = await start('dist/main.js');
try {
  const todoId = await load(corral.url, todo50);
  const bareOptions: autocannon.Options = {
    url: `${bare.url}/bare`,
    connections,
    method: 'POST',
    headers: json,
    body: renderBody,
  };
  const renderOptions: autocannon.Options = {
    url: `${corral.url}/v1/plugins/${todoId}/render`,
    connections,
    method: 'POST',
    headers: json,
    body: renderBody,
  };
  // The two are measured in alternating rounds, so a change in the machine's speed during the
  // run (common on shared CPUs) reaches both; the ratio quoted is the median of the rounds'.
  await autocannon({ ...bareOptions, duration: 2 });
  await autocannon({ ...renderOptions, duration: 2 });
  const roundSeconds = Math.max(2, Math.round(seconds / 2));
  const pairs: [Figures, Figures][] = [];
  for (let round = 1; round <= rounds; round++) {
    const baseline = await run(`bare Express JSON route, round ${round}`, bareOptions, false, roundSeconds);
    const render = await run(`Corral render todo50, round ${round}`, renderOptions, false, roundSeconds);
    pairs.push([baseline, render]);
  }
  const ratios = pairs.map(([baseline, render]) => render.rps / baseline.rps).sort((a, b) => a - b);
  const ratio = ratios[Math.floor(ratios.length / 2)]!;
  const renderRps = pairs.map(([, render]) => render.rps).sort((a, b) => a - b)[Math.floor(rounds / 2)]!;

  /** Nine benign plugins rendered alone, then beside a hammered hostile one, on `url`. */
  async function neighbours(url: string, label: string): Promise<[Figures, Figures]> {
    const benign = await Promise.all(
      Array.from({ length: 9 }, (_, i) => load(url, `${todo50}\n// tenant ${i}`)),
    );
    const benignOptions: autocannon.Options = {
      url,
      connections: 9,
      requests: benign.map((id) => ({
        method: 'POST',
        path: `/v1/plugins/${id}/render`,
        headers: json,
        body: renderBody,
      })),
    };
    const alone = await run(`9 benign plugins, alone${label}`, benignOptions);
    const hostileId = await load(url, hostile);
    let reloads = 0;
    let disabled = false;
    const attacker = autocannon({
      url,
      connections: 1,
      duration: seconds + 3,
      requests: [
        {
          setupRequest: (request) => {
            const render = { path: `/v1/plugins/${hostileId}/render`, body: renderBody };
            const reload = { path: '/v1/plugins', body: JSON.stringify({ code: hostile }) };
            const next = disabled ? reload : render;
            if (disabled) reloads++;
            disabled = false;
            return { ...request, method: 'POST', headers: json, ...next };
          },
          onResponse: (_status, body) => {
            if (body.includes('PLUGIN_ERRORED')) disabled = true;
          },
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 1000));
    const loaded = await run(`9 benign + 1 hostile (loop render)${label}`, benignOptions, false);
    const attack = await attacker;
    console.log(
      `  hostile client: ${attack.requests.total} requests (renders overrunning their 50 ms deadline), ${reloads} re-loads after PLUGIN_ERRORED`,
    );
    return [alone, loaded];
  }
  const [unloaded, loaded] = await neighbours(corral.url, '');
  // The same without the quarantine lane, to show what it buys.
  const exposed = await start('dist/main.js', { CORRAL_QUARANTINE_POOL_SIZE: '0' });
  let unguarded: [Figures, Figures];
  try {
    unguarded = await neighbours(exposed.url, ', no quarantine');
  } finally {
    exposed.child.kill('SIGTERM');
  }

  // The ceiling HTTP sits on: the same renders straight into a worker pool of the same size,
  // no HTTP (the loop runs in this process, as the server's main thread would).
  // Deadlines far above any render, so a busy machine cannot end the loop with a LIMIT_TIME.
  const slack = { loadTimeoutMs: 5000, renderTimeoutMs: 5000, eventTimeoutMs: 5000 };
  const pool = await createNodeSandbox({
    poolSize: poolSize ? Number(poolSize) : DEFAULT_CONFIG.poolSize,
    limitsCeiling: { ...LIMIT_PROFILES.generous, ...slack },
  });
  const direct = await (async () => {
    const ids = ['p0', 'p1', 'p2', 'p3'];
    for (const pluginId of ids) await pool.loadPlugin({ pluginId, code: todo50, limits: slack });
    const params = (pluginId: string) => ({
      pluginId,
      widgetId: 'main',
      pluginState: todo50State as never,
      globalState: {},
    });
    const loop = async (ms: number) => {
      let n = 0;
      const end = performance.now() + ms;
      await Promise.all(
        Array.from({ length: connections }, async (_, k) => {
          while (performance.now() < end) {
            await pool.render(params(ids[k % ids.length]!));
            n++;
          }
        }),
      );
      return n;
    };
    await loop(2000);
    return Math.round((await loop(seconds * 1000)) / seconds);
  })();
  await pool.close();
  console.log(
    `${'worker pool alone, no HTTP (the ceiling)'.padEnd(44)} ${String(direct).padStart(6)} renders/s`,
  );

  const p99Ratio = loaded.p99 / Math.max(unloaded.p99, 1);
  console.log('');
  console.log('| scenario | req/s | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const f of [...pairs.flat(), unloaded, loaded, ...unguarded])
    console.log(`| ${f.name} | ${f.rps} | ${f.p50} | ${f.p99} |`);
  console.log('');
  console.log(
    `render throughput = ${(ratio * 100).toFixed(0)} % of the bare route, median of ${rounds} rounds ` +
      `(${ratios.map((r) => (r * 100).toFixed(0)).join(', ')} %; target ≥ 50 %): ${ratio >= 0.5 ? 'met' : 'NOT met'}; ` +
      `${((renderRps / direct) * 100).toFixed(0)} % of the worker pool alone`,
  );
  console.log(
    `benign p99 with a hostile neighbour = ${p99Ratio.toFixed(2)}× unloaded (target ≤ 2×): ${p99Ratio <= 2 ? 'met' : 'NOT met'}; ` +
      `without the quarantine lane ${(unguarded[1].p99 / Math.max(unguarded[0].p99, 1)).toFixed(2)}×`,
  );

  const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
  const times = (x: number): string => `${x.toFixed(2)}×`;
  const unguardedRatio = unguarded[1].p99 / Math.max(unguarded[0].p99, 1);
  const bareRps = pairs.map(([baseline]) => baseline.rps).sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
  const written = await writeResults(serverDir, {
    name: '@corral/server',
    script: 'bench/server.bench.ts',
    engine: process.env.CORRAL_ENGINE ?? 'quickjs',
    build: `dist (\`node dist/main.js\`), pool ${poolSize ?? 'default (cores − 1)'} plus the quarantine lane`,
    floor:
      'a bare Express JSON route (`bench/bareServer.ts`) taking the same body and answering as many ' +
      "bytes as a todo50 render, measured in rounds alternating with Corral's.",
    tables: [
      {
        title: 'Render throughput against the bare route',
        columns: ['metric', 'bare route', 'corral', 'ratio', 'target', 'pass/fail'],
        rows: [
          [
            `render todo50, req/s (median of ${rounds} rounds)`,
            String(bareRps),
            String(renderRps),
            pct(ratio),
            '≥ 50 %',
            ratio >= 0.5 ? 'pass' : 'FAIL',
          ],
          ...pairs.map(([baseline, render], i) => [
            `↳ round ${i + 1}`,
            String(baseline.rps),
            String(render.rps),
            pct(render.rps / baseline.rps),
            '',
            '',
          ]),
          ['worker pool alone, no HTTP, renders/s', '', String(direct), '', 'info', ''],
          ['↳ HTTP render ÷ worker pool alone', '', '', pct(renderRps / direct), 'info', ''],
        ],
        notes: [
          `${connections} connections on loopback, rounds of ${roundSeconds} s after a 2 s warm-up; ` +
            "autocannon shares the machine's cores with the servers.",
        ],
      },
      {
        title: 'Benign plugins beside a hostile one (p99, ms)',
        columns: ['server', 'alone', 'beside the hostile plugin', 'ratio', 'target', 'pass/fail'],
        rows: [
          [
            'with the quarantine lane',
            String(unloaded.p99),
            String(loaded.p99),
            times(p99Ratio),
            '≤ 2×',
            p99Ratio <= 2 ? 'pass' : 'FAIL',
          ],
          [
            'without it',
            String(unguarded[0].p99),
            String(unguarded[1].p99),
            times(unguardedRatio),
            'info',
            '',
          ],
        ],
        notes: ['Nine benign todo50 plugins; the tenth loops in every render until its deadline.'],
      },
      {
        title: 'Every scenario',
        columns: ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
        rows: [...pairs.flat(), unloaded, loaded, ...unguarded].map((f) => [
          f.name,
          String(f.rps),
          String(f.p50),
          String(f.p99),
          String(f.non2xx),
          String(f.errors),
        ]),
      },
    ],
  });
  if (written) console.log(`results written to ${written}`);
} finally {
  bare.child.kill('SIGTERM');
  corral.child.kill('SIGTERM');
}
