/**
 * `pnpm bench`: Playwright-driven figures for the playground (not a test). Writes RESULTS.md.
 * 1. click → DOM updated, p50/p95, with 10 counter plugins on the page (served by apps/server);
 * 2. memory per instance and start-up: N sandboxed iframes rendering the 48-node todo50 widget
 *    as DOM vs N Corral plugins rendering it; PSS from /proc/<pid>/smaps_rollup summed over the
 *    process tree, slope between N values.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright';
import express from 'express';
import { createHttpSandbox } from '@corral/core';

const here = fileURLToPath(new URL('..', import.meta.url));
const benchDir = process.env.CORRAL_BENCH_DIR ?? join(here, '../../..', 'shared', 'bench');
const todo50 = readFileSync(join(benchDir, 'todo50.plugin.js'), 'utf8');
const todo50State = JSON.parse(readFileSync(join(benchDir, 'todo50.state.json'), 'utf8'));
const port = Number(process.env.CORRAL_BENCH_PORT ?? 8951);
const base = `http://127.0.0.1:${port}`;
const launch = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
};

function startServer(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@corral/source', '--import', 'tsx', '../server/src/main.ts'],
    {
      cwd: here,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PORT: String(port),
        CORRAL_PLAYGROUND_DIR: join(here, 'dist'),
        CORRAL_ALLOWED_GLOBAL_ACTIONS: 'notifications/add,counter/increment',
        CORRAL_LOG_LEVEL: 'warn',
        CORRAL_RATE_LIMIT_MAX: '0',
        CORRAL_MAX_PLUGINS: '1024',
      },
    },
  );
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    const poll = () =>
      fetch(`${base}/readyz`).then(
        (r) => (r.ok ? resolve(child) : setTimeout(poll, 200)),
        () => setTimeout(poll, 200),
      );
    poll();
  });
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** PSS (KiB) of a process and all its descendants. */
function treePss(root: number): number {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(d));
    } catch {
      // gone
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function clickLatency(page: Page): Promise<number[]> {
  await page.goto(`${base}/?presets=${Array(10).fill('counter').join(',')}`);
  await page.getByText('Count: 0').nth(9).waitFor();
  const times: number[] = [];
  for (let i = 1; i <= 60; i++) {
    const plugin = i % 10;
    times.push(
      await page.evaluate(
        ({ plugin, expected }) => {
          const card = document.querySelectorAll('.plugin-card')[plugin]!;
          const button = [...card.querySelectorAll('button')].find((b) => b.textContent === '+1')!;
          const t0 = performance.now();
          return new Promise<number>((resolve) => {
            const mo = new MutationObserver(() => {
              if (card.textContent!.includes(`Count: ${expected}`)) {
                mo.disconnect();
                resolve(performance.now() - t0);
              }
            });
            mo.observe(card, { subtree: true, childList: true, characterData: true });
            button.click();
          });
        },
        { plugin, expected: Math.ceil(i / 10) },
      ),
    );
  }
  return times.slice(10); // the first round warms each plugin up
}

/** The todo50 tree as static DOM inside one sandboxed iframe (what an iframe host would do). */
function iframeDoc(): string {
  const items = todo50State.items as { id: string; label: string; done: boolean }[];
  const rows = items
    .map(
      (i) =>
        `<li><input type=checkbox ${i.done ? 'checked' : ''}><span>${i.label}</span><button>x</button></li>`,
    )
    .join('');
  return `<!doctype html><body><section><h3>${todo50State.title}</h3><p>Hello</p><div><button>-</button><span>${todo50State.count}</span><button>+</button></div><ul>${rows}</ul><p>done</p></section></body>`;
}

async function iframes(n: number): Promise<{ kib: number; ms: number }> {
  const app = express();
  app.get('/', (_req, res) => res.type('html').send('<!doctype html><body></body>'));
  app.get('/frame', (_req, res) => res.type('html').send(iframeDoc()));
  const server = app.listen(0);
  const framePort = (server.address() as { port: number }).port;
  // A browser server exposes its process, so the PSS covers every renderer it starts.
  const browserServer = await chromium.launchServer(launch);
  const pid = browserServer.process().pid!;
  const browser = await chromium.connect(browserServer.wsEndpoint());
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${framePort}/`);
  await page.waitForTimeout(500);
  const before = treePss(pid);
  const t0 = Date.now();
  await page.evaluate(async (count) => {
    await Promise.all(
      Array.from({ length: count }, () => {
        const f = document.createElement('iframe');
        f.sandbox.add('allow-scripts');
        f.src = '/frame';
        const loaded = new Promise((r) => f.addEventListener('load', r));
        document.body.append(f);
        return loaded;
      }),
    );
  }, n);
  const ms = Date.now() - t0;
  await page.waitForTimeout(1500);
  const kib = treePss(pid) - before;
  await browser.close();
  await browserServer.close();
  server.close();
  return { kib, ms };
}

async function plugins(server: ChildProcess, n: number): Promise<{ kib: number; ms: number }> {
  const client = createHttpSandbox({ baseUrl: base });
  const ids = Array.from({ length: n }, (_, i) => `bench-${n}-${i}`);
  const before = treePss(server.pid!);
  const t0 = Date.now();
  for (const pluginId of ids) {
    await client.loadPlugin({ pluginId, code: todo50 });
    await client.render({ pluginId, widgetId: 'main', pluginState: todo50State, globalState: null });
  }
  const ms = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  const kib = treePss(server.pid!) - before;
  for (const pluginId of ids) await client.disposePlugin({ pluginId });
  await client.close();
  return { kib, ms };
}

const server = await startServer();
try {
  const browser = await chromium.launch(launch);
  const page = await browser.newPage();
  const clicks = await clickLatency(page);
  await browser.close();
  console.error(`clicks: p50 ${quantile(clicks, 0.5).toFixed(1)} ms`);

  const ns = [10, 50, 100];
  const frameRows: { n: number; kib: number; ms: number }[] = [];
  const pluginRows: { n: number; kib: number; ms: number }[] = [];
  for (const n of ns) {
    frameRows.push({ n, ...(await iframes(n)) });
    console.error(`iframes ${n}:`, frameRows.at(-1));
    pluginRows.push({ n, ...(await plugins(server, n)) });
    console.error(`plugins ${n}:`, pluginRows.at(-1));
  }
  const slope = (rows: { n: number; kib: number }[]) =>
    (rows.at(-1)!.kib - rows[0]!.kib) / (rows.at(-1)!.n - rows[0]!.n);
  const frameSlope = slope(frameRows);
  const pluginSlope = slope(pluginRows);
  const lines = [
    '# Playground benchmark',
    '',
    `Written by \`pnpm bench\` (bench/playground.bench.ts) on ${new Date().toISOString().slice(0, 10)}, Chromium`,
    `at ${launch.executablePath}, ${clicks.length} clicks. Clicks: plugins in the in-browser worker (the`,
    "default host). Memory: plugins loaded on the server, so a plugin is the server process tree's PSS slope.",
    '',
    '## Click → DOM updated, 10 counter plugins on the page',
    '',
    '| p50 ms | p95 ms | max ms | target p95 |',
    '| --- | --- | --- | --- |',
    `| ${quantile(clicks, 0.5).toFixed(1)} | ${quantile(clicks, 0.95).toFixed(1)} | ${Math.max(...clicks).toFixed(1)} | ≤ 16 |`,
    '',
    '## Memory and start-up per instance: todo50 (48 nodes)',
    '',
    '| N | iframes PSS MiB | iframes start ms | plugins PSS MiB | plugins start ms |',
    '| --- | --- | --- | --- | --- |',
    ...ns.map(
      (n, i) =>
        `| ${n} | ${(frameRows[i]!.kib / 1024).toFixed(1)} | ${frameRows[i]!.ms} | ${(pluginRows[i]!.kib / 1024).toFixed(1)} | ${pluginRows[i]!.ms} |`,
    ),
    '',
    `Slope 10→100: an iframe ${frameSlope.toFixed(0)} KiB, a Corral plugin ${pluginSlope.toFixed(0)} KiB:`,
    `${(frameSlope / Math.max(1, pluginSlope)).toFixed(1)}× lighter (target ≥ 20×).`,
    '',
  ];
  writeFileSync(join(here, 'RESULTS.md'), lines.join('\n'));
  console.log(lines.join('\n'));
} finally {
  server.kill('SIGTERM');
}
