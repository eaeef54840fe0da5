/**
 * @module check
 * `corral check plugin.js`: load the plugin as a host would, render every widget from its
 * initial state (so the tree is validated against the contract), and report what a host limits:
 * code bytes, what went into the bundle, widgets, handlers and reducers, heap used, load and
 * render time, each against the profile's limit. Exit 1 when any step fails.
 *
 * Time is measured here rather than left to the runtime's deadline: calls run under a deadline
 * of `CHECK_TIME_MS` (every other limit is the profile's), each widget renders `RUNS` times, and
 * the fastest run must fit the profile's `renderTimeoutMs`. One cold or preempted call on a busy
 * machine says little; the best of several is what the plugin costs.
 */
import { CorralError, LIMIT_PROFILES, type LimitProfile, type UINode } from '@corral/contracts';
import { formatBuildMessage } from '@corral/build';
import { err, out, printLogs, size } from '../io.js';
import { PLUGIN_ID, openPlugin, parseJson, parseProfile, readPlugin } from '../session.js';

/** A call's deadline while measuring: far above every profile's, so only a runaway call hits it. */
const CHECK_TIME_MS = 1_000;
/** Renders per widget; the fastest is held to the deadline. */
const RUNS = 3;

export interface CheckOptions {
  profile?: string;
  global?: string;
  json?: boolean;
}

interface WidgetReport {
  id: string;
  refreshMs?: number;
  nodes: number;
  outputBytes: number;
  renderMs: number;
}

export async function checkCommand(file: string, options: CheckOptions): Promise<number> {
  const profile: LimitProfile = parseProfile(options.profile) ?? 'default';
  const globalState = parseJson('--global', options.global) ?? null;
  const source = await readPlugin(file);
  for (const w of source.warnings) err(`warning: ${formatBuildMessage(w)}`);
  using plugin = await openPlugin(source, { profile, callTimeoutMs: CHECK_TIME_MS }).catch(
    (error: unknown) => {
      throw runaway(error, 'load', LIMIT_PROFILES[profile].loadTimeoutMs, profile);
    },
  );
  const { meta, runtime } = plugin;
  const loadMs = round(plugin.loadMs);
  const allowed = LIMIT_PROFILES[profile];
  if (loadMs > allowed.loadTimeoutMs) {
    throw new CorralError(
      'LIMIT_TIME',
      `the plugin takes ${loadMs} ms to load; the ${profile} profile allows ${allowed.loadTimeoutMs} ms`,
    );
  }
  const widgets: WidgetReport[] = [];
  for (const w of meta.widgets) {
    let best = Infinity;
    let tree: UINode | undefined;
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      const result = await plugin
        .call((r) =>
          r.render({
            pluginId: PLUGIN_ID,
            widgetId: w.id,
            pluginState: meta.initialState,
            globalState,
            now: Date.now(),
          }),
        )
        .catch((error: unknown) => {
          throw runaway(error, `render of widget '${w.id}'`, allowed.renderTimeoutMs, profile);
        });
      best = Math.min(best, performance.now() - started);
      if (run === 0) printLogs(result.diagnostics);
      tree = result.tree as UINode;
    }
    if (best > allowed.renderTimeoutMs) {
      throw new CorralError(
        'LIMIT_TIME',
        `widget '${w.id}' takes ${round(best)} ms to render (best of ${RUNS}); the ${profile} profile allows ${allowed.renderTimeoutMs} ms`,
      );
    }
    widgets.push({
      id: w.id,
      ...(w.refreshMs === undefined ? {} : { refreshMs: w.refreshMs }),
      nodes: countNodes(tree!),
      outputBytes: Buffer.byteLength(JSON.stringify(tree), 'utf8'),
      renderMs: round(best),
    });
  }
  const health = await runtime.health();
  const record = health.plugins.find((p) => p.pluginId === PLUGIN_ID);
  // The limits a host applies under this profile (the measuring deadline is the CLI's own).
  const limits = { ...(record?.limits ?? allowed), ...pick(allowed) };
  const report = {
    file,
    title: meta.title,
    profile,
    codeBytes: source.bytes,
    loadMs,
    bundle: source.bundled ? source.inputs : null,
    widgets,
    handlers: meta.handlers,
    reducers: meta.reducers,
    heapBytes: record?.memoryBytes ?? 0,
    limits,
  };
  if (options.json) {
    out(JSON.stringify(report, null, 2));
    return 0;
  }
  const rows: [string, string][] = [
    ['code', `${size(report.codeBytes)} of ${size(limits.maxCodeBytes)} (maxCodeBytes)`],
    ...(report.bundle
      ? [['bundle', `${report.bundle.length} files: ${report.bundle.join(', ')}`] as [string, string]]
      : []),
    ['widgets', list(widgets.map((w) => (w.refreshMs ? `${w.id} (every ${w.refreshMs} ms)` : w.id)))],
    ['handlers', list(meta.handlers)],
    ['reducers', list(meta.reducers)],
    ['heap', `${size(report.heapBytes)} of ${size(limits.memoryBytes)} (memoryBytes)`],
    ['load', `${loadMs} ms of ${limits.loadTimeoutMs} ms`],
    ...widgets.map((w): [string, string] => [
      `render ${w.id}`,
      `${w.renderMs} ms of ${limits.renderTimeoutMs} ms (best of ${RUNS}), ${w.nodes} of ${limits.maxOutputNodes} nodes, ${size(w.outputBytes)}`,
    ]),
  ];
  out(`ok ${file}: "${meta.title}" loads and renders under the ${profile} profile`);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out(`  ${k.padEnd(width)}  ${v}`);
  return 0;
}

/** A LIMIT_TIME at the measuring deadline, told against the profile's own deadline. */
function runaway(error: unknown, what: string, allowedMs: number, profile: LimitProfile): unknown {
  if (!(error instanceof CorralError) || error.code !== 'LIMIT_TIME') return error;
  return new CorralError(
    'LIMIT_TIME',
    `the ${what} did not finish within ${CHECK_TIME_MS} ms and was interrupted; the ${profile} profile allows ${allowedMs} ms`,
    error.details,
  );
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function pick(l: { loadTimeoutMs: number; renderTimeoutMs: number; eventTimeoutMs: number }) {
  return {
    loadTimeoutMs: l.loadTimeoutMs,
    renderTimeoutMs: l.renderTimeoutMs,
    eventTimeoutMs: l.eventTimeoutMs,
  };
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : `${names.length}: ${names.join(', ')}`;
}

function countNodes(node: UINode): number {
  const children = (node as { children?: UINode[] }).children ?? [];
  return 1 + children.reduce((n, c) => n + countNodes(c), 0);
}
