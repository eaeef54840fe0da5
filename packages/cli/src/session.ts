/**
 * @module session
 * A plugin file opened the way a host would run it: a `.js` file as it is, a `.ts`/`.tsx`/`.jsx`
 * file bundled first with @corral/build, then loaded into core's real in-thread runtime (QuickJS,
 * real limits). Arguments a person typed (JSON, widget and handler names) are checked here, so a
 * typo is a usage error that lists what would have worked.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { buildPlugin, type BuildMessage } from '@corral/build';
import { createRuntime, type Runtime } from '@corral/core';
import {
  CorralError,
  LIMIT_PROFILES,
  type JSONValue,
  type LimitProfile,
  type PluginMeta,
} from '@corral/contracts';
import { CliError } from './errors.js';

export const PLUGIN_ID = 'plugin';
export const PROFILES: readonly LimitProfile[] = ['strict', 'default', 'generous'];

/** A plugin's script and where it came from. */
export interface PluginSource {
  file: string;
  code: string;
  bytes: number;
  /** The files bundled into it (just the file itself for a `.js` plugin). */
  inputs: string[];
  bundled: boolean;
  warnings: BuildMessage[];
}

export function requireFile(file: string): void {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new CliError(
      'FILE_NOT_FOUND',
      `no plugin file at ${file}`,
      'check the path (relative to this directory)',
    );
  }
}

/** Read a `.js` plugin, or bundle a `.ts`/`.tsx`/`.jsx` one. */
export async function readPlugin(file: string): Promise<PluginSource> {
  requireFile(file);
  if (/\.(c|m)?js$/.test(file)) {
    const code = readFileSync(file, 'utf8');
    return {
      file,
      code,
      bytes: Buffer.byteLength(code, 'utf8'),
      inputs: [file],
      bundled: false,
      warnings: [],
    };
  }
  if (!/\.(c|m)?(t|j)sx?$/.test(file)) {
    throw new CliError('USAGE', `${file} is not a plugin source`, 'give a .js, .ts, .tsx or .jsx file');
  }
  const built = await buildPlugin(file);
  return {
    file,
    code: built.code,
    bytes: built.bytes,
    inputs: built.inputs,
    bundled: true,
    warnings: built.warnings,
  };
}

export interface OpenOptions {
  profile?: LimitProfile;
  /**
   * The deadline of every call instead of the profile's (every other limit stays), at most
   * `DEV_TIME_MS`: a fresh process runs its first calls cold, and a busy machine stalls it, so
   * one call's wall time says little. `check` measures the calls itself and holds the best of
   * several to the profile's deadlines.
   */
  callTimeoutMs?: number;
}

/** The deadline of `render`, `event` and `dev` calls: a person is reading, not a host serving. */
export const DEV_TIME_MS = 5_000;
const deadlines = (ms: number) => ({ loadTimeoutMs: ms, renderTimeoutMs: ms, eventTimeoutMs: ms });

export interface OpenPlugin extends Disposable {
  runtime: Runtime;
  meta: PluginMeta;
  /** Wall time of the load call, ms. */
  loadMs: number;
  /** Runs a call on the runtime; its errors point at the plugin's file (see `pointAtSource`). */
  call<T>(run: (runtime: Runtime) => Promise<T>): Promise<T>;
}

/**
 * The runtime names the script `plugin.js`; a message's `plugin.js:line:column` becomes the
 * person's file for a `.js` plugin, and the bundle's line for a bundled one.
 */
export function pointAtSource(error: unknown, source: PluginSource): unknown {
  if (!(error instanceof CorralError)) return error;
  const where = source.bundled ? `${source.file}, bundled, at` : source.file;
  const message = error.message.replace(/\bplugin\.js:(\d+)(?::(\d+))?/g, (_m, line: string, col?: string) =>
    source.bundled ? `${where} line ${line}` : `${where}:${line}${col ? `:${col}` : ''}`,
  );
  return message === error.message
    ? error
    : new CorralError(error.code, message, error.details, { cause: error });
}

/** Load the plugin into a fresh runtime that accepts every global action (like a test host). */
export async function openPlugin(source: PluginSource, options: OpenOptions = {}): Promise<OpenPlugin> {
  const runtime = await createRuntime({
    variant: quickjs,
    allowedGlobalActions: () => true,
    limitsCeiling: { ...LIMIT_PROFILES.generous, ...deadlines(DEV_TIME_MS) },
  });
  try {
    const started = performance.now();
    const meta = await runtime.loadPlugin({
      pluginId: PLUGIN_ID,
      code: source.code,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.callTimeoutMs ? { limits: deadlines(options.callTimeoutMs) } : {}),
    });
    const loadMs = performance.now() - started;
    return {
      runtime,
      meta,
      loadMs,
      call: (run) =>
        run(runtime).catch((error: unknown) => {
          throw pointAtSource(error, source);
        }),
      [Symbol.dispose]: () => runtime.dispose(),
    };
  } catch (error) {
    runtime.dispose();
    throw pointAtSource(error, source);
  }
}

/** A JSON argument, or a usage error naming the option. */
export function parseJson(option: string, text: string | undefined): JSONValue | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JSONValue;
  } catch (error) {
    throw new CliError(
      'BAD_JSON',
      `${option} is not JSON: ${(error as Error).message}`,
      `quote it for the shell, e.g. ${option} '{"count": 1}'`,
    );
  }
}

export function parseProfile(value: string | undefined): LimitProfile | undefined {
  if (value === undefined) return undefined;
  if ((PROFILES as readonly string[]).includes(value)) return value as LimitProfile;
  throw new CliError(
    'USAGE',
    `--profile '${value}' is not a limit profile`,
    `use one of ${PROFILES.join(', ')}`,
  );
}

export function parseNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new CliError('USAGE', `${option} '${value}' is not a number`, `e.g. ${option} 1700000000000`);
  }
  return n;
}

/** The widget to use: the one named (it must exist) or the first declared. */
export function pickWidget(meta: PluginMeta, wanted: string | undefined): string {
  const ids = meta.widgets.map((w) => w.id);
  if (wanted === undefined) return ids[0]!;
  if (ids.includes(wanted)) return wanted;
  throw new CliError('USAGE', `the plugin has no widget '${wanted}'`, `use one of: ${ids.join(', ')}`);
}

/** The handler to fire: a declared handler, or a reducer a binding may name directly. */
export function pickHandler(meta: PluginMeta, wanted: string): string {
  const names = [...new Set([...meta.handlers, ...meta.reducers])];
  if (names.includes(wanted)) return wanted;
  throw new CliError(
    'USAGE',
    `the plugin has no handler or reducer '${wanted}'`,
    names.length ? `use one of: ${names.join(', ')}` : 'the plugin declares no handlers or reducers',
  );
}
