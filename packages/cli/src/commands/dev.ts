/**
 * @module dev
 * `corral dev plugin.tsx`: build, load and render the plugin, then again each time one of the
 * files that went into it is saved. A broken save prints its error and keeps watching. It
 * watches the files' directories (editors often save by replacing the file) and runs until
 * interrupted (Ctrl-C, SIGTERM), then exits 0.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { UINode } from '@corral/contracts';
import { formatError } from '../errors.js';
import { err, out, printLogs } from '../io.js';
import { outline } from '../outline.js';
import {
  DEV_TIME_MS,
  PLUGIN_ID,
  openPlugin,
  parseJson,
  parseProfile,
  pickWidget,
  readPlugin,
  requireFile,
} from '../session.js';

export interface DevOptions {
  widget?: string;
  state?: string;
  global?: string;
  profile?: string;
}

/** Saves closer together than this are one change (editors write a file in several steps). */
const SETTLE_MS = 60;

export async function devCommand(file: string, options: DevOptions): Promise<number> {
  requireFile(file);
  const state = parseJson('--state', options.state);
  const globalState = parseJson('--global', options.global) ?? null;
  const profile = parseProfile(options.profile);
  let watched = new Set<string>([resolve(file)]);
  const watchers = new Map<string, FSWatcher>();
  let running = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function cycle(): Promise<void> {
    const started = performance.now();
    try {
      const source = await readPlugin(file);
      watched = new Set(source.inputs.filter((p) => !p.includes('node_modules')).map((p) => resolve(p)));
      watched.add(resolve(file));
      using plugin = await openPlugin(source, {
        callTimeoutMs: DEV_TIME_MS,
        ...(profile ? { profile } : {}),
      });
      const widgetId = pickWidget(plugin.meta, options.widget);
      const result = await plugin.call((r) =>
        r.render({
          pluginId: PLUGIN_ID,
          widgetId,
          pluginState: state ?? plugin.meta.initialState,
          globalState,
          now: Date.now(),
        }),
      );
      const ms = Math.round(performance.now() - started);
      out(`[${clock()}] ${file} → ${widgetId} (${ms} ms)`);
      printLogs(result.diagnostics);
      out(outline(result.tree as UINode));
    } catch (error) {
      err(`[${clock()}] ${file} failed`);
      err(formatError(error).text);
    }
    rewatch();
    out(`watching ${watched.size === 1 ? '1 file' : `${watched.size} files`}; Ctrl-C to stop`);
  }

  function rewatch(): void {
    const dirs = new Set([...watched].map((p) => dirname(p)));
    for (const [dir, w] of watchers) {
      if (!dirs.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      watchers.set(
        dir,
        watch(dir, (_event, name) => {
          if (name !== null && watched.has(resolve(dir, basename(name)))) changed();
        }),
      );
    }
  }

  function changed(): void {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), SETTLE_MS);
  }

  async function run(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      await cycle();
    } while (again);
    running = false;
  }

  await run();
  return new Promise<number>((done) => {
    const stop = (): void => {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      done(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
