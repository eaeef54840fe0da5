/**
 * The bench page (built by bench/playground.bench.ts, never shipped): what the bench drives in
 * Chromium through `window.corralBench`. Round trips of the todo50 render through
 * `createBrowserSandbox` and through the raw worker, and N plugins loaded in the browser worker.
 */
import type { JSONObject } from '@corral/contracts';
import { createBrowserSandbox, type BrowserSandbox } from '@corral/worker-browser';

interface Bench {
  roundTrips(code: string, stateJson: string, rounds: number): Promise<{ corral: number[]; raw: number[] }>;
  /** Start the sandbox the plugins will be loaded into (the page's baseline includes it). */
  start(): Promise<void>;
  loadPlugins(code: string, stateJson: string, n: number): Promise<number>;
}

let sandbox: BrowserSandbox | null = null;

function rawWorker(): Worker {
  return new Worker(new URL('./raw.worker.ts', import.meta.url), { type: 'module' });
}

const answer = (worker: Worker) =>
  new Promise<string>((resolve) =>
    worker.addEventListener('message', (e) => resolve(e.data as string), { once: true }),
  );

const bench: Bench = {
  async roundTrips(code, stateJson, rounds) {
    const corralSandbox = await createBrowserSandbox({ poolSize: 1 });
    await corralSandbox.loadPlugin({ pluginId: 'todo50', code });
    const raw = rawWorker();
    raw.postMessage({ code });
    await answer(raw);
    const times = { corral: [] as number[], raw: [] as number[] };
    // A page's clock ticks in 0.1 ms steps: each sample is a burst of BURST calls in a row, divided.
    const BURST = 10;
    for (let i = 0; i < rounds; i++) {
      // Alternate, so both see the same machine at the same moments.
      let t0 = performance.now();
      for (let k = 0; k < BURST; k++) {
        const state = JSON.parse(stateJson) as JSONObject;
        const tree = await corralSandbox.render({
          pluginId: 'todo50',
          widgetId: 'main',
          pluginState: state,
          globalState: null,
        });
        if (!tree.tree) throw new Error('no tree');
      }
      times.corral.push((performance.now() - t0) / BURST);
      t0 = performance.now();
      for (let k = 0; k < BURST; k++) {
        raw.postMessage({ state: stateJson });
        JSON.parse(await answer(raw));
      }
      times.raw.push((performance.now() - t0) / BURST);
    }
    raw.terminate();
    await corralSandbox.close();
    return times;
  },
  async start() {
    sandbox ??= await createBrowserSandbox();
  },
  async loadPlugins(code, stateJson, n) {
    sandbox ??= await createBrowserSandbox();
    const t0 = performance.now();
    const state = JSON.parse(stateJson) as JSONObject;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const pluginId = `p${n}-${i}`;
        await sandbox!.loadPlugin({ pluginId, code });
        await sandbox!.render({ pluginId, widgetId: 'main', pluginState: state, globalState: null });
      }),
    );
    return performance.now() - t0;
  },
};

(window as unknown as { corralBench: Bench }).corralBench = bench;
document.body.dataset.ready = 'yes';
