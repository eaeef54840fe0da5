/**
 * Start-up and stop as an operator meets them: the real `main.ts` in its own process. A bad
 * setting or a port that cannot be had is one line naming the variable and what it accepts,
 * then exit 1; a misspelled `CORRAL_*` name is a warning; `npm start`'s process tree stops
 * entirely on one SIGTERM to npm.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverDir, startMain } from './helpers.js';

/** The lines main.ts wrote to stderr that are its own (`corral: …`). */
const ownLines = (output: string) => output.split('\n').filter((line) => line.startsWith('corral: '));

describe('a setting that is wrong stops the server with one line naming it', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { CORRAL_TRUST_PROXY: 'maybe' },
      /^corral: CORRAL_TRUST_PROXY must be true, false, a hop count, .*; got 'maybe'$/,
    ],
    [{ HOST: '999.1.1.1' }, /^corral: HOST must be an IP address or a host name.*; got '999\.1\.1\.1'$/],
    [
      { CORRAL_API_KEYS: ',' },
      /^corral: CORRAL_API_KEYS must be comma-separated API keys, none empty .*; got ','$/,
    ],
    [
      { CORRAL_CORS_ORIGINS: 'notaurl' },
      /^corral: CORRAL_CORS_ORIGINS must be \* or comma-separated origins .*; got 'notaurl'$/,
    ],
    [{ CORRAL_MAX_QUEUE: 'lots' }, /^corral: CORRAL_MAX_QUEUE must be an integer, at least 1; got 'lots'$/],
  ];
  for (const [env, line] of cases) {
    it(Object.entries(env)[0]!.join('='), async () => {
      const main = startMain(env);
      main.url.catch(() => undefined);
      expect(await main.exited).toBe(1);
      const lines = ownLines(main.output());
      expect(lines, main.output()).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(main.output()).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('a busy port', async () => {
    const busy: Server = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const { port } = busy.address() as { port: number };
    try {
      const main = startMain({ PORT: String(port) });
      main.url.catch(() => undefined);
      expect(await main.exited).toBe(1);
      expect(ownLines(main.output())).toEqual([
        `corral: PORT ${port} is already in use on 127.0.0.1; stop what uses it or set PORT (0 picks a free port)`,
      ]);
      expect(main.output()).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });

  it('a misspelled CORRAL_* name warns, with the name it resembles, and the server runs', async () => {
    const main = startMain({ CORRAL_POOL_SIZ: '2' });
    const url = await main.url;
    expect(ownLines(main.output())).toEqual([
      'corral: warning: CORRAL_POOL_SIZ is not a Corral setting and is ignored (did you mean CORRAL_POOL_SIZE?)',
    ]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
  });
});

describe('npm start', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** Pids of every live descendant of `pid` (Linux /proc). */
  const descendants = (pid: number): number[] => {
    const parents = new Map<number, number[]>();
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
      } catch {
        // the process ended while being read
      }
    }
    const found: number[] = [];
    for (let queue = [pid]; queue.length > 0;) {
      const children = parents.get(queue.shift()!) ?? [];
      found.push(...children);
      queue.push(...children);
    }
    return found;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.runIf(process.platform === 'linux')(
    'SIGTERM to the npm process stops the server: the port is freed and no child remains',
    async () => {
      // The root script's process tree, with its build steps left out and the server run from
      // source: npm → sh → (exec) node. The last step must exec the server, or the shell
      // in between would die on the signal and leave the server running.
      const root = JSON.parse(readFileSync(resolve(serverDir, '../../package.json'), 'utf8')) as {
        scripts: { start: string };
      };
      const steps = root.scripts.start.split('&&').map((step) => step.trim());
      expect(steps.at(-1)).toBe('exec node apps/server/dist/main.js');
      // Install and build print progress: to stderr, so stdout is the server's JSON lines alone.
      for (const step of steps.slice(0, -1)) expect(step).toMatch(/ >&2$/);
      const dir = mkdtempSync(join(tmpdir(), 'corral-start-'));
      dirs.push(dir);
      const serve = `cd '${serverDir}' && exec node --import tsx --conditions=@corral/source src/main.ts`;
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'start-tree', private: true, scripts: { start: `true && ${serve}` } }),
      );
      const npm = spawn('npm', ['start'], {
        cwd: dir,
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CORRAL_POOL_SIZE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let stdout = '';
      const url = await new Promise<string>((found, fail) => {
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) found(match[1]!);
        };
        npm.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          read(chunk);
        });
        npm.stderr.on('data', read);
        npm.once('exit', (code) => fail(new Error(`npm start exited (${code}):\n${output}`)));
      });
      const tree = descendants(npm.pid!);
      expect(tree.length).toBeGreaterThan(0);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      const exited = new Promise<number | null>((done) => npm.once('exit', (code) => done(code)));
      npm.kill('SIGTERM');
      try {
        expect(await exited).toBe(0);
        await expect(fetch(`${url}/healthz`)).rejects.toThrow();
        // The server exits right after its listener closes: allow it that moment.
        for (let i = 0; i < 100 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
        expect(tree.filter(alive), output).toEqual([]);
      } finally {
        for (const pid of tree.filter(alive)) process.kill(pid, 'SIGKILL'); // what a failure left behind
      }
      // stdout carried JSON log lines only (no task prefix, no build output), after npm's own
      // `> start` header (which `npm start --silent` leaves out).
      const lines = stdout
        .split('\n')
        .filter((line) => line !== '')
        .filter(
          (line, i, all) => !(line.startsWith('> ') && all.slice(0, i).every((l) => l.startsWith('> '))),
        );
      expect(
        lines.filter((line) => !line.startsWith('{')),
        stdout,
      ).toEqual([]);
      const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toContain('corral server listening');
    },
  );
});
