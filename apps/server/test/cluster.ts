/**
 * @module cluster
 * Real replicas behind a real load balancer, on loopback, for the chaos test and the replicas
 * bench: server processes spawned from this package (source through tsx, or the built `dist/`),
 * Debian's nginx with a configuration generated into a temporary directory, Debian's
 * redis-server, and a load generator of virtual users that each drive a plugin of their own
 * through core's `createHttpSandbox` — the client a real host would use.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONValue } from '@corral/contracts';
import { createHttpSandbox, type SandboxClient } from '@corral/core';
import { fixtures, serverDir } from './helpers.js';

/** Every process started here, so none outlives this one (a failed test, an interrupted bench). */
const started = new Map<ChildProcess, NodeJS.Signals>();
process.once('exit', () => {
  for (const [child, signal] of started)
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
});
/** Note `child`; `signal` ends it at once (nginx's master takes its workers with it on SIGTERM). */
function track(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): ChildProcess {
  started.set(child, signal);
  child.once('exit', () => started.delete(child));
  return child;
}

// --- Debian tools -----------------------------------------------------------------------------

/** The binary, or why it cannot be had: installed by apt-get (as .ci/run does) when missing. */
export function debianTool(binary: string, debianPackage: string): { path: string } | { missing: string } {
  const find = () =>
    ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']
      .map((dir) => join(dir, binary))
      .find((path) => existsSync(path));
  const found = find();
  if (found) return { path: found };
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  const aptGet = (...args: string[]) =>
    spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(root ? [] : ['apt-get']), ...args], {
      stdio: 'ignore',
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (
    existsSync('/usr/bin/apt-get') &&
    aptGet('update', '-q') &&
    aptGet('install', '-y', '-q', debianPackage)
  ) {
    const installed = find();
    if (installed) return { path: installed };
  }
  return {
    missing:
      `${binary} is not installed and \`apt-get install -y ${debianPackage}\` failed here ` +
      `(not Debian, or neither root nor passwordless sudo); install Debian's ${debianPackage} to run this`,
  };
}

/** A TCP port free on 127.0.0.1 right now (for programs that cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function until(what: string, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms`);
}

// --- replicas ---------------------------------------------------------------------------------

export interface Replica {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
}

/**
 * One server process on a free port. `source` runs src/main.ts through tsx (no build needed);
 * `dist` runs dist/main.js as `npm start` does. The defaults suit a machine with few cores.
 */
export function startReplica(env: Record<string, string> = {}, entry: 'source' | 'dist' = 'source') {
  const args =
    entry === 'source' ? ['--import', 'tsx', '--conditions=@corral/source', 'src/main.ts'] : ['dist/main.js'];
  const child = track(
    spawn(process.execPath, args, {
      cwd: serverDir,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        CORRAL_LOG_LEVEL: 'warn',
        CORRAL_POOL_SIZE: '1',
        CORRAL_QUARANTINE_POOL_SIZE: '0',
        CORRAL_RATE_LIMIT_MAX: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<Replica>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        const url = match[1]!;
        resolve({ url, port: Number(new URL(url).port), child, exited, output: () => output });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
}

/** Stop replicas that are still running (SIGTERM: they drain), and wait for them. */
export async function stopReplicas(replicas: readonly Replica[]): Promise<void> {
  await Promise.all(
    replicas.map(async (replica) => {
      if (replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill('SIGTERM');
      await replica.exited;
    }),
  );
}

// --- nginx ------------------------------------------------------------------------------------

export interface NginxOptions {
  /** The port nginx listens on (127.0.0.1). */
  port: number;
  /** The replicas' ports. */
  upstreams: readonly number[];
  /** Directory for the pid file, logs and temporary files. */
  dir: string;
}

/**
 * The balancer's configuration — the one docs/deploy shows, on loopback. What may be retried on
 * another replica is the point: nginx re-sends only what never reached a replica (the
 * connection failed or timed out: `error timeout`, and without `non_idempotent` nginx never
 * re-sends a POST once it has sent it). A request a replica received and failed to answer —
 * the replica died under it — comes back 502, and the client, which knows the op, sends it
 * again (see core's `HttpRetryOptions`); a Corral answer, even `503 WORKER_CRASHED`, is final.
 */
export function nginxConfig({ port, upstreams, dir }: NginxOptions): string {
  return `# Generated by apps/server/test/cluster.ts
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format corral '$status|$upstream_status|$upstream_addr';
  access_log ${dir}/access.log corral;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 5m;         # = CORRAL_MAX_BODY_BYTES
  client_body_buffer_size 1m;

  upstream corral {
    hash $http_x_corral_plugin consistent;   # each plugin's calls find a warm replica
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=1s;`).join('\n')}
    keepalive 32;
    keepalive_timeout 4s;          # under Node's 5 s, so nginx never reuses a closing connection
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://corral;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_connect_timeout 1s;
      proxy_read_timeout 35s;      # above the server's 30 s request timeout
      proxy_next_upstream error timeout;   # never non_idempotent, never http_5xx: see above
      proxy_next_upstream_tries 3;
    }
  }
}
`;
}

export interface Nginx {
  url: string;
  /** The access log's lines: `<status>|<upstream statuses>|<upstream addresses>` (`, ` between tries). */
  accessLog(): string[];
  stop(): Promise<void>;
}

/** Start nginx in the foreground with a generated configuration; resolves once it proxies. */
export async function startNginx(binary: string, upstreams: readonly number[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-nginx-'));
  chmodSync(dir, 0o755); // nginx's workers drop root and must reach their temporary paths
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig({ port, upstreams, dir }));
  const child = track(
    spawn(
      binary,
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    ),
    'SIGTERM',
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  try {
    await Promise.race([
      until('nginx', 20_000, async () => (await fetch(`${url}/healthz`)).ok),
      exited.then(() => {
        throw new Error(`nginx exited: ${stderr}${read('error.log')}`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    accessLog: () => read('access.log').split('\n').filter(Boolean),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- redis ------------------------------------------------------------------------------------

export interface Redis {
  url: string;
  stop(): Promise<void>;
}

/** redis-server on a free port, in a temporary directory, nothing persisted. */
export async function startRedis(binary: string): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-redis-'));
  const port = await freePort();
  const child = track(
    spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    until('redis-server', 20_000, async () => /Ready to accept connections/.test(output)),
    exited.then(() => {
      throw new Error(`redis-server exited: ${output}`);
    }),
  ]);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- the load generator -----------------------------------------------------------------------

/** One user action: what it was, when it ended (ms since the users began), how long it took. */
export interface Action {
  op: 'event' | 'render' | 'render todo50';
  user: number;
  endedAt: number;
  ms: number;
  /** The error code of a failed action; absent when it succeeded. */
  code?: string;
  message?: string;
}

export interface LoadReport {
  actions: Action[];
  /** Per virtual user: events that succeeded, and the count the host holds at the end. */
  users: { events: number; count: number; shown: string }[];
  /** HTTP exchanges sent by the clients, by kind, with when (ms since the users began acting). */
  exchanges: { at: number; batch: boolean; answered: boolean }[];
  durationMs: number;
}

export interface LoadOptions {
  /** The balancer's (or a replica's) URL. */
  url: string;
  users: number;
  durationMs: number;
  /** Called once, `atMs` after the users start acting (the chaos: kill a replica). */
  during?: { atMs: number; run: () => unknown };
  /** Render the shared todo50 widget every other turn (default true). */
  todo50?: boolean;
  /** A user's pause between turns, in milliseconds (default 0: a closed loop). */
  pauseMs?: number;
}

/** The counter plugin of virtual user `u`: its own code, so its own content-derived id. */
function userPlugin(u: number): { pluginId: string; code: string } {
  const code = `${fixtures.counter}\n// virtual user ${u}\n`;
  return { pluginId: `sha256-${createHash('sha256').update(code).digest('hex')}`, code };
}

const todoId = `sha256-${createHash('sha256').update(fixtures.todo50).digest('hex')}`;

/**
 * Setting up, not a user action: a load that overran its deadline while replicas were booting
 * beside it (a busy machine) is tried again, a few times.
 */
async function setUp(load: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await load();
      return;
    } catch (error) {
      if (attempt >= 5 || (error as { code?: string }).code !== 'LIMIT_TIME') throw error;
    }
  }
}

/**
 * Virtual users, each a host with a client of its own, in a closed loop until the duration is
 * up: click its counter (an event; the host applies the new state), render it (the tree must
 * show the count the host holds), every other turn render the shared todo50 widget, pause.
 * Every action must succeed;
 * a failure is recorded with its code, never thrown.
 */
export async function runLoad({
  url,
  users,
  durationMs,
  during,
  todo50 = true,
  pauseMs = 0,
}: LoadOptions): Promise<LoadReport> {
  // Times count from the moment every user has loaded its plugins and starts acting.
  let started = performance.now();
  const since = () => performance.now() - started;
  let ready = 0;
  let go: () => void = () => undefined;
  const allReady = new Promise<void>((resolve) => (go = resolve));
  let timer: ReturnType<typeof setTimeout> | null = null;
  const actions: Action[] = [];
  const exchanges: LoadReport['exchanges'] = [];
  const counting: typeof fetch = async (input, init) => {
    const at = since();
    const batch = typeof init?.body === 'string' && init.body.startsWith('[');
    try {
      const response = await fetch(input, init);
      const type = response.headers.get('content-type') ?? '';
      exchanges.push({ at, batch, answered: type.includes('json') });
      return response;
    } catch (error) {
      exchanges.push({ at, batch, answered: false });
      throw error;
    }
  };
  const clients: SandboxClient[] = [];
  try {
    const results = await Promise.all(
      Array.from({ length: users }, async (_, u) => {
        // Deadlines far above any call: the test is about failures, not speed (a busy machine
        // may be slow, never wrong).
        const client = createHttpSandbox({ baseUrl: url, fetch: counting, client: { graceMs: 30_000 } });
        clients.push(client);
        const { pluginId, code } = userPlugin(u);
        // The ceiling's profile: a render or event may take 100 ms, far above what these take
        // even on a machine shared with other work.
        await setUp(() => client.loadPlugin({ pluginId, code, profile: 'generous' }));
        await setUp(() =>
          client.loadPlugin({ pluginId: todoId, code: fixtures.todo50, profile: 'generous' }),
        );
        if (++ready === users) {
          started = performance.now();
          if (during) timer = setTimeout(() => void during.run(), during.atMs);
          go();
        }
        await allReady;
        let state: JSONValue = { count: 0 };
        let events = 0;
        const act = async (op: Action['op'], run: () => Promise<void>) => {
          const t0 = performance.now();
          try {
            await run();
            actions.push({ op, user: u, endedAt: since(), ms: performance.now() - t0 });
          } catch (error) {
            const { code = 'THROWN', message = String(error) } = error as { code?: string; message?: string };
            actions.push({ op, user: u, endedAt: since(), ms: performance.now() - t0, code, message });
          }
        };
        const base = { pluginId, widgetId: 'main', globalState: {} };
        for (let turn = 0; since() < durationMs; turn++) {
          await act('event', async () => {
            const out = await client.event({
              ...base,
              handler: 'inc',
              event: { name: 'click' },
              pluginState: state,
            });
            state = out.pluginState;
            events++;
          });
          await act('render', async () => {
            const { tree } = await client.render({ ...base, pluginState: state });
            const want = `Count: ${(state as { count: number }).count}`;
            if (!JSON.stringify(tree).includes(want)) throw new Error(`the render does not show ${want}`);
          });
          if (todo50 && turn % 2 === 1) {
            await act('render todo50', async () => {
              const { tree } = await client.render({
                pluginId: todoId,
                widgetId: 'main',
                pluginState: fixtures.todo50State,
                globalState: {},
              });
              if (tree.kind !== 'panel') throw new Error(`todo50 rendered a ${tree.kind}`);
            });
          }
          if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
        const { tree } = await client.render({ ...base, pluginState: state });
        return { events, count: (state as { count: number }).count, shown: JSON.stringify(tree) };
      }),
    );
    return { actions, users: results, exchanges, durationMs: since() };
  } finally {
    if (timer) clearTimeout(timer);
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** The `q` quantile (0–1) of `values`, in the values' unit; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** How many plugins a replica holds warm, from its own /metrics (not through the balancer). */
export async function pluginsLoaded(replica: Replica): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  return Number(/^corral_plugins_loaded (\d+)$/m.exec(text)?.[1] ?? 0);
}
