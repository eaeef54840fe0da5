/**
 * `pnpm bench`: Playwright-driven figures for the playground, all in Chromium (not a test).
 * Writes RESULTS.md through @corral/bench-kit.
 * 1. the todo50 render round trip through `createBrowserSandbox` vs a raw in-worker
 *    quickjs-emscripten floor (JSON strings both ways), on the bench page (bench/page, built here);
 * 2. click → DOM updated, p50/p95, with 10 counter plugins on the playground (served by apps/server);
 * 3. memory per instance and start-up: N sandboxed iframes rendering the 48-node todo50 widget
 *    as DOM vs N Corral plugins loaded in the page's browser worker; PSS from
 *    /proc/<pid>/smaps_rollup summed over the browser's process tree, slope between N values.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright';
import express from 'express';
import { build } from 'vite';
import { writeResults } from '@corral/bench-kit';

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

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

/** The bench page, built as the playground is (source-first, the .wasm as its own asset). */
async function benchPage(): Promise<{ url: string; close(): void }> {
  const outDir = join(here, 'bench', 'dist');
  await build({
    configFile: false,
    root: join(here, 'bench', 'page'),
    base: './',
    logLevel: 'warn',
    resolve: { conditions: ['@corral/source', 'module', 'browser', 'development|production'] },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  });
  const app = express();
  app.use(express.static(outDir, { setHeaders: (res) => res.setHeader('content-security-policy', CSP) }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: () => server.close(),
  };
}

type CorralBench = {
  roundTrips(code: string, state: string, rounds: number): Promise<{ corral: number[]; raw: number[] }>;
  start(): Promise<void>;
  loadPlugins(code: string, state: string, n: number): Promise<number>;
};
const benchOf = () => (window as unknown as { corralBench: CorralBench }).corralBench;

async function roundTrips(url: string): Promise<{ corral: number[]; raw: number[] }> {
  const browser = await chromium.launch(launch);
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('body[data-ready=yes]').waitFor({ state: 'attached' });
  const stateJson = JSON.stringify(todo50State);
  const result = await page.evaluate(
    ([code, state]) =>
      (window as unknown as { corralBench: CorralBench }).corralBench.roundTrips(code, state, 60),
    [todo50, stateJson] as const,
  );
  await browser.close();
  // The first bursts warm both paths up.
  return { corral: result.corral.slice(10), raw: result.raw.slice(10) };
}

async function plugins(url: string, n: number): Promise<{ kib: number; ms: number }> {
  const browserServer = await chromium.launchServer(launch);
  const pid = browserServer.process().pid!;
  const browser = await chromium.connect(browserServer.wsEndpoint());
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('body[data-ready=yes]').waitFor({ state: 'attached' });
  await page.evaluate(() => (window as unknown as { corralBench: CorralBench }).corralBench.start());
  await page.waitForTimeout(500);
  const before = treePss(pid);
  const ms = await page.evaluate(
    ([code, state, count]) =>
      (window as unknown as { corralBench: CorralBench }).corralBench.loadPlugins(code, state, count),
    [todo50, JSON.stringify(todo50State), n] as const,
  );
  await page.waitForTimeout(1500);
  const kib = treePss(pid) - before;
  await browser.close();
  await browserServer.close();
  return { kib, ms: Math.round(ms) };
}

const median = (xs: number[]) => quantile(xs, 0.5);
const page = await benchPage();
const server = await startServer();
try {
  const trips = await roundTrips(page.url);
  console.error(
    `round trip: corral ${median(trips.corral).toFixed(3)} ms, raw ${median(trips.raw).toFixed(3)} ms`,
  );

  const browser = await chromium.launch(launch);
  const clicks = await clickLatency(await browser.newPage());
  await browser.close();
  console.error(
    `clicks: p50 ${quantile(clicks, 0.5).toFixed(1)} ms, p95 ${quantile(clicks, 0.95).toFixed(1)} ms`,
  );

  const ns = [10, 50, 100];
  const frameRows: { n: number; kib: number; ms: number }[] = [];
  const pluginRows: { n: number; kib: number; ms: number }[] = [];
  for (const n of ns) {
    frameRows.push({ n, ...(await iframes(n)) });
    console.error(`iframes ${n}:`, frameRows.at(-1));
    pluginRows.push({ n, ...(await plugins(page.url, n)) });
    console.error(`plugins ${n}:`, pluginRows.at(-1));
  }
  const slope = (rows: { n: number; kib: number }[], from: number, to: number) =>
    (rows[to]!.kib - rows[from]!.kib) / (rows[to]!.n - rows[from]!.n);
  const slopes = [
    [0, 1],
    [1, 2],
    [0, 2],
  ] as const;
  const ms = (x: number) => x.toFixed(2);
  await writeResults(here, {
    name: '@corral/playground',
    script: 'bench/playground.bench.ts',
    engine: 'quickjs',
    build: `vite build (the playground's dist, the bench page's bench/dist), Chromium at ${launch.executablePath}`,
    floor:
      'quickjs-emscripten-core in a Web Worker of the same page, JSON strings both ways (bench/page/raw.worker.ts).',
    tables: [
      {
        title: 'Render round trip, todo50 (48 nodes), one browser worker',
        columns: ['path', 'median ms', 'p95 ms', 'ratio to floor (median)', 'target'],
        rows: [
          [
            'raw quickjs-emscripten worker (floor)',
            ms(median(trips.raw)),
            ms(quantile(trips.raw, 0.95)),
            '1.00',
            '—',
          ],
          [
            '`createBrowserSandbox` render',
            ms(median(trips.corral)),
            ms(quantile(trips.corral, 0.95)),
            (median(trips.corral) / median(trips.raw)).toFixed(2),
            '≤ 1.25',
          ],
        ],
        notes: [
          `${trips.corral.length} bursts of 10 calls in a row per path after 10 warm-up bursts, the two paths alternating; a figure is a burst's time ÷ 10 (the page's clock ticks in 0.1 ms).`,
        ],
      },
      {
        title: 'Click → DOM updated, 10 counter plugins on the playground',
        columns: ['p50 ms', 'p95 ms', 'max ms', 'target p95'],
        rows: [[ms(quantile(clicks, 0.5)), ms(quantile(clicks, 0.95)), ms(Math.max(...clicks)), '≤ 16']],
        notes: [
          `${clicks.length} clicks on plugins in the in-browser worker, timed in the page by a MutationObserver.`,
        ],
      },
      {
        title: "Memory and start-up: N iframes vs N plugins, the browser's processes",
        columns: ['N', 'iframes PSS MiB', 'iframes start ms', 'plugins PSS MiB', 'plugins start ms'],
        rows: ns.map((n, i) => [
          String(n),
          (frameRows[i]!.kib / 1024).toFixed(1),
          String(frameRows[i]!.ms),
          (pluginRows[i]!.kib / 1024).toFixed(1),
          String(pluginRows[i]!.ms),
        ]),
        notes: [
          "PSS summed over every process of a fresh Chromium, after minus before the N instances; plugins are todo50 loaded and rendered in the page's `createBrowserSandbox` (2 workers), iframes are sandboxed and render the same tree as static DOM.",
        ],
      },
      {
        title: 'Per instance (slope between N values)',
        columns: ['N range', 'iframe KiB', 'Corral plugin KiB', 'iframe ÷ plugin', 'target'],
        rows: slopes.map(([a, b]) => {
          const f = slope(frameRows, a, b);
          const p = slope(pluginRows, a, b);
          return [
            `${ns[a]}→${ns[b]}`,
            f.toFixed(0),
            p.toFixed(0),
            p > 0 ? (f / p).toFixed(1) : 'n/a',
            '≥ 20',
          ];
        }),
      },
    ],
  });
} finally {
  server.kill('SIGTERM');
  page.close();
}
