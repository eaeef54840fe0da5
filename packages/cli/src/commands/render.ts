/**
 * @module render
 * `corral render plugin.js [--widget w] [--state json]`: one render on the real runtime, printed
 * as an indented outline (or the tree as JSON with `--json`). Plugin logs go to stderr.
 */
import type { UINode } from '@corral/contracts';
import { out, printLogs } from '../io.js';
import { outline } from '../outline.js';
import {
  DEV_TIME_MS,
  PLUGIN_ID,
  openPlugin,
  parseJson,
  parseNumber,
  parseProfile,
  pickWidget,
  readPlugin,
} from '../session.js';

export interface RenderOptions {
  widget?: string;
  state?: string;
  global?: string;
  now?: string;
  profile?: string;
  json?: boolean;
}

export async function renderCommand(file: string, options: RenderOptions): Promise<number> {
  const state = parseJson('--state', options.state);
  const globalState = parseJson('--global', options.global) ?? null;
  const now = parseNumber('--now', options.now) ?? Date.now();
  const profile = parseProfile(options.profile);
  using plugin = await openPlugin(await readPlugin(file), {
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
      now,
    }),
  );
  printLogs(result.diagnostics);
  out(options.json ? JSON.stringify(result.tree, null, 2) : outline(result.tree as UINode));
  return 0;
}
