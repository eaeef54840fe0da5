/**
 * @module check
 * `corral check plugin.js`: load the plugin as a host would, render every widget from its
 * initial state (so the tree is validated against the contract), and report what a host limits:
 * code bytes, what went into the bundle, widgets, handlers and reducers, heap used and render
 * time, each against the profile's limit. Exit 1 when any step fails.
 */
import { LIMIT_PROFILES, type LimitProfile, type UINode } from '@corral/contracts';
import { formatBuildMessage } from '@corral/build';
import { err, out, printLogs, size } from '../io.js';
import { PLUGIN_ID, openPlugin, parseJson, parseProfile, readPlugin } from '../session.js';

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
  using plugin = await openPlugin(source, { profile });
  const { meta, runtime } = plugin;
  const widgets: WidgetReport[] = [];
  for (const w of meta.widgets) {
    const started = performance.now();
    const result = await plugin.call((r) =>
      r.render({
        pluginId: PLUGIN_ID,
        widgetId: w.id,
        pluginState: meta.initialState,
        globalState,
        now: Date.now(),
      }),
    );
    const renderMs = performance.now() - started;
    printLogs(result.diagnostics);
    widgets.push({
      id: w.id,
      ...(w.refreshMs === undefined ? {} : { refreshMs: w.refreshMs }),
      nodes: countNodes(result.tree as UINode),
      outputBytes: Buffer.byteLength(JSON.stringify(result.tree), 'utf8'),
      renderMs: Math.round(renderMs * 100) / 100,
    });
  }
  const health = await runtime.health();
  const record = health.plugins.find((p) => p.pluginId === PLUGIN_ID);
  const limits = record?.limits ?? LIMIT_PROFILES[profile];
  const report = {
    file,
    title: meta.title,
    profile,
    codeBytes: source.bytes,
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
    ...widgets.map((w): [string, string] => [
      `render ${w.id}`,
      `${w.renderMs} ms of ${limits.renderTimeoutMs} ms, ${w.nodes} of ${limits.maxOutputNodes} nodes, ${size(w.outputBytes)}`,
    ]),
  ];
  out(`ok ${file}: "${meta.title}" loads and renders under the ${profile} profile`);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out(`  ${k.padEnd(width)}  ${v}`);
  return 0;
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : `${names.length}: ${names.join(', ')}`;
}

function countNodes(node: UINode): number {
  const children = (node as { children?: UINode[] }).children ?? [];
  return 1 + children.reduce((n, c) => n + countNodes(c), 0);
}
