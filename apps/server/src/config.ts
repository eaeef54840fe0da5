/**
 * @module config
 * The server's whole configuration, parsed from the environment with zod against one schema
 * (the table in README.md lists the same names and values). A bad value stops the server at
 * start-up with one line naming the variable and what it accepts, never later at request time;
 * a `CORRAL_*` name that is not a setting (a typo, usually) is reported as a warning.
 */
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LIMIT_PROFILES, type LimitProfile } from '@corral/contracts';

export interface ServerConfig {
  /** TCP port; 0 picks a free one. Env `PORT`, default 8787. */
  port: number;
  /** Interface to bind (an IP address or a host name). Env `HOST`, default 127.0.0.1 (loopback only). */
  host: string;
  /**
   * Worker threads running plugins. Env `CORRAL_POOL_SIZE`, default one less than the available
   * cores (at least 1): the main thread parses, checks and answers every request and needs a core
   * of its own. On 2 cores, 2 workers gave 2,430 renders/s and 1 worker 2,788 (measured).
   */
  poolSize: number;
  /** Worker threads of the quarantine lane (0: none). Env `CORRAL_QUARANTINE_POOL_SIZE`, default 1. */
  quarantinePoolSize: number;
  /**
   * How much lower the quarantine lane's threads run (a nice increment, 0–19; Linux, per thread).
   * Env `CORRAL_QUARANTINE_NICE`, default 10: a suspect plugin burning its deadlines then yields
   * the CPU to the main lane and the HTTP thread instead of competing with them as an equal.
   */
  quarantineNiceness: number;
  /**
   * How long a worker polls for its next call after answering, instead of sleeping (the Node
   * sandbox's `spinMs`). Env `CORRAL_SPIN_MS`, default 0: a server shares its cores with its
   * own main thread and whatever else runs on the machine, and a polling worker burns CPU they
   * could use (render throughput 43 % of the bare route with polling, 47 % without, one run each).
   */
  spinMs: number;
  /** QuickJS build. Env `CORRAL_ENGINE`, default `quickjs`. */
  engine: 'quickjs' | 'quickjs-ng';
  /** The most any plugin may be granted (the limits ceiling). Env `CORRAL_PROFILE`, default `generous`. */
  profile: LimitProfile;
  /** Largest request body. Env `CORRAL_MAX_BODY_BYTES`, default 5 MiB. */
  maxBodyBytes: number;
  /** Global action types dispatches may carry. Env `CORRAL_ALLOWED_GLOBAL_ACTIONS`, default `notifications/add`. */
  allowedGlobalActions: string[];
  /** Warm plugin runtimes kept per replica (LRU). Env `CORRAL_MAX_PLUGINS`, default 256. */
  maxPlugins: number;
  /** Plugin calls in flight before new ones get 503. Env `CORRAL_MAX_QUEUE`, default 256. */
  maxQueue: number;
  /** API keys; none (the variable unset) disables authentication. Env `CORRAL_API_KEYS` (comma-separated). */
  apiKeys: string[];
  /** Rate-limit window. Env `CORRAL_RATE_LIMIT_WINDOW_MS`, default 60000. */
  rateLimitWindowMs: number;
  /** Requests per window per key (or per address without a key); 0 disables. Env `CORRAL_RATE_LIMIT_MAX`, default 6000. */
  rateLimitMax: number;
  /**
   * Redis holding the rate limit's counters, shared by every replica; null keeps them in each
   * process. Env `CORRAL_RATE_LIMIT_REDIS_URL` (`redis://` or `rediss://`), default unset.
   */
  rateLimitRedisUrl: string | null;
  /** Origins allowed by CORS (`*` for any); empty sends no CORS headers. Env `CORRAL_CORS_ORIGINS`. */
  corsOrigins: string[];
  /** Express `trust proxy` (hops or a list of addresses) for the client address behind a load balancer. Env `CORRAL_TRUST_PROXY`, default off. */
  trustProxy: boolean | number | string;
  /**
   * Whether clients reach the server over TLS (a TLS-terminating proxy in front), so HSTS and
   * `upgrade-insecure-requests` are sent. Env `CORRAL_TLS`, default off; a request a trusted
   * proxy marks `x-forwarded-proto: https` gets them too.
   */
  tls: boolean;
  /** The built playground served at `/`. Env `CORRAL_PLAYGROUND_DIR`, default `apps/playground/dist`. */
  playgroundDir: string;
  /** How long a shutdown waits for in-flight requests. Env `CORRAL_DRAIN_TIMEOUT_MS`, default 10000. */
  drainTimeoutMs: number;
  /** pino level. Env `CORRAL_LOG_LEVEL`, default `info`. */
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Names Express's `trust proxy` accepts besides addresses and subnets. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** `CORRAL_*` names read by the benchmarks and tests, not by the server. */
const NOT_SERVER_SETTINGS = /^CORRAL_(BENCH_|LEAK_)/;

/** Where the playground package builds to, wherever this file runs from (src/ or dist/). */
const DEFAULT_PLAYGROUND_DIR = fileURLToPath(new URL('../../playground/dist', import.meta.url));

export const DEFAULT_CONFIG: Readonly<ServerConfig> = {
  port: 8787,
  host: '127.0.0.1',
  poolSize: Math.max(1, availableParallelism() - 1),
  quarantinePoolSize: 1,
  quarantineNiceness: 10,
  spinMs: 0,
  engine: 'quickjs',
  profile: 'generous',
  maxBodyBytes: 5 * 1024 * 1024,
  allowedGlobalActions: ['notifications/add'],
  maxPlugins: 256,
  maxQueue: 256,
  apiKeys: [],
  rateLimitWindowMs: 60_000,
  rateLimitMax: 6000,
  rateLimitRedisUrl: null,
  corsOrigins: [],
  trustProxy: false,
  tls: false,
  playgroundDir: DEFAULT_PLAYGROUND_DIR,
  drainTimeoutMs: 10_000,
  logLevel: 'info',
};

// --- value schemas: each takes the variable's trimmed text -------------------------------------

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?(\d+\.?\d*|\.\d+)$/)
    .transform(Number)
    .pipe(z.number().min(min).max(max));
const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const entries = (text: string) => text.split(',').map((s) => s.trim());
/** A comma-separated list without empty entries (`a,,b` and `,` are mistakes, not "none"). */
const list = (entry: z.ZodType<string, string>) => z.string().transform(entries).pipe(z.array(entry).min(1));

const hostName = z
  .string()
  .regex(
    /^(?=.{1,253}$)(?!\d+(\.\d+)*$)[a-z\d]([a-z\d-]{0,61}[a-z\d])?(\.[a-z\d]([a-z\d-]{0,61}[a-z\d])?)*$/i,
  );
const host = z.string().refine((v) => isIP(v) !== 0 || hostName.safeParse(v).success);
/** `*`, or an origin exactly as a browser sends it (a trailing slash is dropped). */
const origin = z
  .string()
  .transform((v) => v.replace(/\/$/, ''))
  .refine((v) => {
    if (v === '*') return true;
    const url = URL.canParse(v) ? new URL(v) : null;
    return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === v;
  });
const redisUrl = z
  .string()
  .refine((v) => URL.canParse(v) && ['redis:', 'rediss:'].includes(new URL(v).protocol));
const subnet = z.string().refine((v) => {
  if (PROXY_NAMES.has(v)) return true;
  const [address = '', bits, ...rest] = v.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
});
const trustProxy = z.union([
  integer(0, 64),
  z.enum(['true', 'false']).transform((v) => v === 'true'),
  z
    .string()
    .transform(entries)
    .pipe(z.array(subnet).min(1))
    .transform((v) => v.join(',')),
]);

/** Each variable: its schema, what it accepts (for the message), and the field it sets. */
const VARIABLES = {
  PORT: ['port', integer(0, 65535), 'an integer from 0 to 65535 (0 picks a free port)'],
  HOST: ['host', host, 'an IP address or a host name, e.g. 127.0.0.1, 0.0.0.0 or ::'],
  CORRAL_POOL_SIZE: ['poolSize', integer(1, 256), 'an integer from 1 to 256'],
  CORRAL_QUARANTINE_POOL_SIZE: ['quarantinePoolSize', integer(0, 256), 'an integer from 0 to 256'],
  CORRAL_QUARANTINE_NICE: ['quarantineNiceness', integer(0, 19), 'an integer from 0 to 19'],
  CORRAL_SPIN_MS: ['spinMs', decimal(0, 10), 'a number of milliseconds from 0 to 10'],
  CORRAL_ENGINE: ['engine', z.enum(['quickjs', 'quickjs-ng']), 'one of quickjs, quickjs-ng'],
  CORRAL_PROFILE: [
    'profile',
    z.enum(Object.keys(LIMIT_PROFILES) as [LimitProfile, ...LimitProfile[]]),
    `one of ${Object.keys(LIMIT_PROFILES).join(', ')}`,
  ],
  CORRAL_MAX_BODY_BYTES: ['maxBodyBytes', integer(1024), 'an integer of bytes, at least 1024'],
  CORRAL_ALLOWED_GLOBAL_ACTIONS: [
    'allowedGlobalActions',
    list(z.string().min(1)),
    'comma-separated global action types, e.g. notifications/add',
  ],
  CORRAL_MAX_PLUGINS: ['maxPlugins', integer(1), 'an integer, at least 1'],
  CORRAL_MAX_QUEUE: ['maxQueue', integer(1), 'an integer, at least 1'],
  CORRAL_API_KEYS: [
    'apiKeys',
    list(z.string().regex(/^\S+$/)),
    'comma-separated API keys, none empty (leave it unset to turn authentication off)',
  ],
  CORRAL_RATE_LIMIT_WINDOW_MS: [
    'rateLimitWindowMs',
    integer(1000),
    'an integer of milliseconds, at least 1000',
  ],
  CORRAL_RATE_LIMIT_MAX: ['rateLimitMax', integer(0), 'an integer, at least 0 (0 turns rate limiting off)'],
  CORRAL_RATE_LIMIT_REDIS_URL: [
    'rateLimitRedisUrl',
    redisUrl,
    'a redis:// or rediss:// URL, e.g. redis://redis:6379 (leave it unset for per-replica limits)',
  ],
  CORRAL_CORS_ORIGINS: [
    'corsOrigins',
    list(origin),
    '* or comma-separated origins like https://app.example.com (scheme, host, optional port)',
  ],
  CORRAL_TRUST_PROXY: [
    'trustProxy',
    trustProxy,
    'true, false, a hop count, or comma-separated IP addresses, subnets (10.0.0.0/8) or loopback, linklocal, uniquelocal',
  ],
  CORRAL_TLS: ['tls', boolean, 'true or false (1 or 0)'],
  CORRAL_PLAYGROUND_DIR: ['playgroundDir', z.string().min(1), 'a directory path'],
  CORRAL_DRAIN_TIMEOUT_MS: ['drainTimeoutMs', integer(0), 'an integer of milliseconds, at least 0'],
  CORRAL_LOG_LEVEL: ['logLevel', z.enum(LOG_LEVELS), `one of ${LOG_LEVELS.join(', ')}`],
} as const satisfies Record<string, readonly [keyof ServerConfig, z.ZodType, string]>;

type VariableName = keyof typeof VARIABLES;
const NAMES = Object.keys(VARIABLES) as VariableName[];

/** The whole environment as one zod object: unset or blank variables are left out. */
const ENVIRONMENT = z.object(
  Object.fromEntries(NAMES.map((name) => [name, VARIABLES[name][1].optional()])) as {
    [K in VariableName]: z.ZodOptional<(typeof VARIABLES)[K][1]>;
  },
);

export type ConfigResult =
  | { ok: true; config: ServerConfig; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

/** A configuration the server refuses; `issues` holds one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parse an environment (default `process.env`): the configuration, or one line per bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const given: Record<string, string> = {};
  for (const name of NAMES) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') given[name] = value;
  }
  const warnings = unknownSettings(env);
  const parsed = ENVIRONMENT.safeParse(given);
  if (!parsed.success) {
    const bad = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0]) as VariableName))];
    const errors = bad.map((name) => `${name} must be ${VARIABLES[name][2]}; got '${given[name]}'`);
    return { ok: false, errors, warnings };
  }
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [name, value] of Object.entries(parsed.data)) {
    if (value !== undefined) config[VARIABLES[name as VariableName][0]] = value;
  }
  const result = config as unknown as ServerConfig;
  if (!isAbsolute(result.playgroundDir)) result.playgroundDir = resolve(result.playgroundDir);
  return { ok: true, config: result, warnings };
}

/** Read the configuration from an environment (default `process.env`). Throws a ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const result = parseConfig(env);
  if (!result.ok) throw new ConfigError(result.errors);
  return result.config;
}

/** A warning for each `CORRAL_*` variable that is no setting, with the nearest real name. */
function unknownSettings(env: Record<string, string | undefined>): string[] {
  const known = new Set<string>(NAMES);
  return Object.keys(env)
    .filter((name) => name.startsWith('CORRAL_') && !known.has(name) && !NOT_SERVER_SETTINGS.test(name))
    .map((name) => {
      const nearest = NAMES.map((n) => [n, distance(n, name)] as const).sort((a, b) => a[1] - b[1])[0]!;
      const hint = nearest[1] <= 3 ? ` (did you mean ${nearest[0]}?)` : '';
      return `${name} is not a Corral setting and is ignored${hint}`;
    });
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}
