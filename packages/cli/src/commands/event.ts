/**
 * @module event
 * `corral event plugin.js --handler h [--state json] [--payload json]`: fire one handler (or a
 * reducer a binding names directly) as a host would, and print the stamped dispatches and the
 * new plugin state. `--payload` is the binding's `args`; `--value` the event's value.
 */
import type { Dispatch, PluginEvent } from '@corral/contracts';
import { CliError } from '../errors.js';
import { out, printLogs } from '../io.js';
import {
  DEV_TIME_MS,
  PLUGIN_ID,
  openPlugin,
  parseJson,
  parseNumber,
  parseProfile,
  pickHandler,
  pickWidget,
  readPlugin,
} from '../session.js';

export interface EventOptions {
  handler: string;
  widget?: string;
  state?: string;
  global?: string;
  payload?: string;
  value?: string;
  event?: string;
  now?: string;
  profile?: string;
  json?: boolean;
}

const EVENT_NAMES = ['click', 'change', 'submit'] as const;

export async function eventCommand(file: string, options: EventOptions): Promise<number> {
  const state = parseJson('--state', options.state);
  const globalState = parseJson('--global', options.global) ?? null;
  const args = parseJson('--payload', options.payload);
  const value = options.value === undefined ? undefined : valueOf(options.value);
  const name = eventName(options.event, value !== undefined);
  const now = parseNumber('--now', options.now) ?? Date.now();
  const profile = parseProfile(options.profile);
  using plugin = await openPlugin(await readPlugin(file), {
    callTimeoutMs: DEV_TIME_MS,
    ...(profile ? { profile } : {}),
  });
  const widgetId = pickWidget(plugin.meta, options.widget);
  const handler = pickHandler(plugin.meta, options.handler);
  const event: PluginEvent = {
    name,
    ...(args === undefined ? {} : { args }),
    ...(value === undefined ? {} : { value }),
  };
  const result = await plugin.call((r) =>
    r.event({
      pluginId: PLUGIN_ID,
      widgetId,
      handler,
      event,
      pluginState: state ?? plugin.meta.initialState,
      globalState,
      now,
    }),
  );
  printLogs(result.diagnostics);
  if (options.json) {
    out(JSON.stringify({ state: result.pluginState, dispatches: result.dispatches }, null, 2));
    return 0;
  }
  if (result.dispatches.length === 0) out('no dispatches');
  for (const d of result.dispatches) out(dispatchLine(d));
  out(`state ${JSON.stringify(result.pluginState, null, 2)}`);
  return 0;
}

/** `dispatch plugin add {"id":1}`, with `(refused: why)` when the host did not accept it. */
function dispatchLine(d: Dispatch): string {
  const payload = d.payload === undefined ? '' : ` ${JSON.stringify(d.payload)}`;
  const refused = d.meta.accepted ? '' : ` (refused: ${d.meta.reason ?? 'not accepted'})`;
  return `dispatch ${d.meta.scope} ${d.type}${payload}${refused}`;
}

/** `--value 3` is the number 3, `--value true` a boolean, anything else a string. */
function valueOf(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function eventName(given: string | undefined, hasValue: boolean): PluginEvent['name'] {
  if (given === undefined) return hasValue ? 'change' : 'click';
  if ((EVENT_NAMES as readonly string[]).includes(given)) return given as PluginEvent['name'];
  throw new CliError('USAGE', `--event '${given}' is not an event`, `use one of ${EVENT_NAMES.join(', ')}`);
}
