/**
 * @module outline
 * A UI tree as a person reads it in a terminal: one node a line, children indented, the node's
 * words quoted, its settings as `key=value` and its bindings as `onClick → handler(args)`.
 *
 *     panel "Counter"
 *       text "Count: 0"
 *       button "+1" variant=primary onClick → add(1)
 */
import type { EventBinding, UINode } from '@corral/contracts';

/** Fields shown as words (quoted) rather than as settings, in the order they are shown. */
const WORDS = ['title', 'label', 'text'] as const;
/** Fields not shown as settings: structure, words, and what gets its own line. */
const SKIP = new Set(['kind', 'children', 'options', 'columns', 'rows', ...WORDS]);

export function outline(tree: UINode): string {
  const out: string[] = [];
  line(tree, 0, out);
  return out.join('\n') + '\n';
}

function line(node: UINode, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const fields = node as unknown as Record<string, unknown>;
  const parts: string[] = [node.kind];
  for (const word of WORDS) {
    if (typeof fields[word] === 'string') parts.push(JSON.stringify(fields[word]));
  }
  for (const [key, value] of Object.entries(fields)) {
    if (SKIP.has(key) || value === undefined) continue;
    if (isBinding(value)) parts.push(`${key} → ${binding(value)}`);
    else parts.push(`${key}=${JSON.stringify(value)}`);
  }
  out.push(pad + parts.join(' '));
  if (node.kind === 'select') {
    for (const o of node.options) {
      out.push(`${pad}  ${o.value === node.value ? '●' : '○'} ${JSON.stringify(o.label)} (${o.value})`);
    }
  }
  if (node.kind === 'table') {
    out.push(`${pad}  | ${node.columns.join(' | ')} |`);
    for (const row of node.rows) out.push(`${pad}  | ${row.join(' | ')} |`);
  }
  const children = (node as { children?: UINode[] }).children;
  if (children) for (const child of children) line(child, depth + 1, out);
}

function isBinding(value: unknown): value is EventBinding {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { handler?: unknown }).handler === 'string'
  );
}

function binding(b: EventBinding): string {
  return b.args === undefined ? b.handler : `${b.handler}(${JSON.stringify(b.args)})`;
}
