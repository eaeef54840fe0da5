/**
 * @module serialize
 * The session as a versioned document: the URL hash (lz-string, URI-safe) and the exported JSON
 * file are the same document. An old version is migrated; a newer or broken one is refused with
 * a reason, never half-applied.
 */
import { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from 'lz-string';
import { validateJSONValue } from '@corral/contracts';
import type { GlobalState, HostKind, PluginEntry, SessionState } from './session.js';

export const SESSION_VERSION = 1;
const HASH_PREFIX = '#s1=';

export interface SessionDocument {
  corral: 'playground-session';
  version: number;
  plugins: Array<Pick<PluginEntry, 'id' | 'name' | 'code' | 'host' | 'state' | 'hasState'>>;
  global: GlobalState;
  selectedId: string | null;
}

export type ParseResult = { ok: true; session: SessionState } | { ok: false; reason: string };

export function toDocument(session: SessionState): SessionDocument {
  return {
    corral: 'playground-session',
    version: SESSION_VERSION,
    plugins: session.plugins.map(({ id, name, code, host, state, hasState }) => ({
      id,
      name,
      code,
      host,
      state,
      hasState,
    })),
    global: session.global,
    selectedId: session.selectedId,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check a document from a link or a file; nothing in it is trusted. */
export function fromDocument(value: unknown): ParseResult {
  if (!isObject(value) || value.corral !== 'playground-session')
    return { ok: false, reason: 'This is not a Corral playground session.' };
  if (typeof value.version !== 'number') return { ok: false, reason: 'The session has no version.' };
  if (value.version > SESSION_VERSION)
    return {
      ok: false,
      reason: `The session is version ${value.version}; this playground reads up to version ${SESSION_VERSION}. Open it in a newer playground.`,
    };
  if (!Array.isArray(value.plugins)) return { ok: false, reason: 'The session lists no plugins.' };
  const plugins: PluginEntry[] = [];
  const ids = new Set<string>();
  for (const [i, p] of value.plugins.entries()) {
    if (!isObject(p) || typeof p.id !== 'string' || !p.id || typeof p.code !== 'string')
      return { ok: false, reason: `Plugin ${i + 1} in the session has no id or code.` };
    if (ids.has(p.id)) return { ok: false, reason: `Plugin id '${p.id}' appears twice.` };
    ids.add(p.id);
    const host: HostKind = p.host === 'server' || p.host === 'auto' ? p.host : 'worker';
    const hasState = p.hasState === true && validateJSONValue(p.state).ok;
    plugins.push({
      id: p.id,
      name: typeof p.name === 'string' ? p.name : p.id,
      code: p.code,
      host,
      state: hasState ? (p.state as PluginEntry['state']) : null,
      hasState,
    });
  }
  const g = isObject(value.global) ? value.global : {};
  const global: GlobalState = {
    counter: typeof g.counter === 'number' && Number.isFinite(g.counter) ? g.counter : 0,
    notifications: Array.isArray(g.notifications)
      ? g.notifications.filter((n): n is string => typeof n === 'string').slice(-20)
      : [],
  };
  const selectedId =
    typeof value.selectedId === 'string' && ids.has(value.selectedId)
      ? value.selectedId
      : (plugins[0]?.id ?? null);
  return { ok: true, session: { plugins, global, selectedId } };
}

export function toHash(session: SessionState): string {
  return HASH_PREFIX + compressToEncodedURIComponent(JSON.stringify(toDocument(session)));
}

/** `null` when the hash holds no session at all (a fresh visit). */
export function fromHash(hash: string): ParseResult | null {
  if (!hash || hash === '#') return null;
  if (!hash.startsWith('#s')) return null;
  if (!hash.startsWith(HASH_PREFIX)) {
    return { ok: false, reason: 'This link was made by a newer playground (unknown session format).' };
  }
  const text = decompressFromEncodedURIComponent(hash.slice(HASH_PREFIX.length));
  if (!text) return { ok: false, reason: 'The link is damaged: its session could not be decompressed.' };
  try {
    return fromDocument(JSON.parse(text));
  } catch {
    return { ok: false, reason: 'The link is damaged: its session is not valid JSON.' };
  }
}
