/**
 * Test helpers: real servers on ephemeral loopback ports, real fetch, the shared fixtures.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONValue } from '@corral/contracts';
import { createServer, loadConfig, type CreateServerOptions } from '../src/index.js';

export const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(serverDir, '../..');
export const benchDir = process.env.CORRAL_BENCH_DIR ?? join(repoRoot, '..', 'shared', 'bench');

export const fixtures = {
  counter: readFileSync(join(benchDir, 'counter.plugin.js'), 'utf8'),
  todo50: readFileSync(join(benchDir, 'todo50.plugin.js'), 'utf8'),
  todo50State: JSON.parse(readFileSync(join(benchDir, 'todo50.state.json'), 'utf8')) as JSONValue,
};

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1 and a free port, configured like production plus `env`. */
export async function startServer(
  env: Record<string, string> = {},
  options: CreateServerOptions = {},
): Promise<TestServer> {
  const config = loadConfig({
    CORRAL_POOL_SIZE: '1',
    CORRAL_LOG_LEVEL: 'silent',
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const server = createServer(config, options);
  const { url } = await server.start();
  return { url, close: () => server.close() };
}

/**
 * Start main.ts on a free port: the entry `pnpm start` runs (from dist), here from source so the
 * tests need no prior build. One node process with tsx's loader: the `tsx` CLI would put a
 * relaying parent process in front, and signals would reach that one.
 */
export function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@corral/source', 'src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CORRAL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    void exited.then((code) => reject(new Error(`main.ts exited (${code}) before listening:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** One request with a JSON body (or raw text with its own content type). */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json', ...headers };
  }
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the test decides
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A plugin whose render returns `{ kind: 'text', text }` built from the state. */
export const hello =
  'definePlugin({ title: "Hello", widgets: { main: { render: function (ctx) { return { kind: "text", text: "Hello " + ctx.pluginState.name }; } } } })';

/** A plugin whose render loops forever when the state asks it to. */
export const looping =
  'definePlugin({ widgets: { main: { render: function (ctx) { if (ctx.pluginState.loop) { while (true) {} } return { kind: "text", text: "ok" }; } } } })';

/**
 * A plugin whose render sits in built-in sorts the QuickJS interrupt cannot stop (it is only
 * polled every ~10,000 JS operations; 30 long C calls are far fewer), so the host kills the worker.
 */
export const unstoppable =
  'definePlugin({ widgets: { main: { render: function (ctx) { if (ctx.pluginState.stuck) { var k = Object.keys(new Array(2e5).fill(0)); for (var j = 0; j < 30; j++) { k.reverse(); k.sort(); } } return { kind: "text", text: "ok" }; } } } })';

/** A plugin whose render spins `ctx.pluginState.spins` iterations (time inside a call is frozen). */
export const spinning =
  'definePlugin({ widgets: { main: { render: function (ctx) { for (var i = 0, n = ctx.pluginState.spins || 0; i < n; i++) {} return { kind: "text", text: "done" }; } } } })';
