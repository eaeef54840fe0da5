/**
 * @module pluginApi
 * The plugin API as the editor knows it, read from the typings plugin authors use
 * (`@corral/plugin`) and contracts' UI node types: each documented member with its JSDoc, and
 * each UINode kind with its interface's doc and fields.
 */
import { pluginTypings, uiTypings } from 'virtual:corral-plugin-api';

export interface ApiEntry {
  name: string;
  /** `ctx` members, a global, or a node kind. */
  scope: 'ctx' | 'global' | 'kind';
  signature: string;
  doc: string;
}

const clean = (doc: string) =>
  doc
    .split('\n')
    .map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').trim())
    .filter((l) => l && !l.startsWith('@') && l !== '/')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();

/** `/** doc *\/ name…` pairs inside one interface body of a .d.ts text. */
function members(source: string, iface: string): ApiEntry[] {
  const start = source.search(new RegExp(`interface ${iface}\\b`));
  if (start < 0) return [];
  const open = source.indexOf('{', start);
  let depth = 0;
  let end = open;
  for (; end < source.length; end++) {
    if (source[end] === '{') depth++;
    else if (source[end] === '}' && --depth === 0) break;
  }
  const body = source.slice(open + 1, end);
  const out: ApiEntry[] = [];
  const re = /\/\*\*([\s\S]*?)\*\/\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\s*([<(?:][^;]*);/g;
  for (const m of body.matchAll(re)) {
    out.push({
      name: m[2]!,
      scope: 'ctx',
      signature: `${m[2]}${m[3]!.replace(/\s+/g, ' ')}`,
      doc: clean(m[1]!),
    });
  }
  return out;
}

function kinds(source: string): ApiEntry[] {
  const out: ApiEntry[] = [];
  const re = /\/\*\*([\s\S]*?)\*\/\s*export interface (\w+Node) \{([\s\S]*?)\n\}/g;
  for (const m of source.matchAll(re)) {
    const kind = /kind: '(\w+)'/.exec(m[3]!)?.[1];
    if (!kind) continue;
    const fields = [...m[3]!.matchAll(/^\s+(\w+\??): ([^;]+);/gm)].map((f) => `${f[1]}: ${f[2]}`);
    out.push({ name: kind, scope: 'kind', signature: `{ ${fields.join('; ')} }`, doc: clean(m[1]!) });
  }
  return out;
}

function globals(source: string): ApiEntry[] {
  const m = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*function definePlugin/.exec(source);
  return m
    ? [
        {
          name: 'definePlugin',
          scope: 'global',
          signature: 'definePlugin(definition: PluginDefinition): void',
          doc: clean(m[1]!),
        },
      ]
    : [];
}

const ctx = [...members(pluginTypings, 'RenderContext'), ...members(pluginTypings, 'HandlerContext')];

export const PLUGIN_API: ApiEntry[] = [...globals(pluginTypings), ...ctx, ...kinds(uiTypings)];

export function lookup(name: string): ApiEntry | undefined {
  return (
    PLUGIN_API.find((e) => e.name === name && e.scope !== 'kind') ?? PLUGIN_API.find((e) => e.name === name)
  );
}
