/**
 * @module config
 * The server's whole configuration, read from the environment with documented defaults (the
 * table in README.md lists the same names and values). A bad value fails at start-up with a
 * message naming the variable, never later at request time.
 */
import { availableParallelism } from 'node:os';
import { LIMIT_PROFILES, type LimitProfile } from '@corral/contracts';

export interface ServerConfig {
  /** TCP port; 0 picks a free one. Env `PORT`, default 8787. */
  port: number;
  /** Interface to bind. Env `HOST`, default 127.0.0.1 (loopback only). */
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
  /** API keys; empty disables authentication. Env `CORRAL_API_KEYS` (comma-separated). */
  apiKeys: string[];
  /** Rate-limit window. Env `CORRAL_RATE_LIMIT_WINDOW_MS`, default 60000. */
  rateLimitWindowMs: number;
  /** Requests per window per key (or per address without a key); 0 disables. Env `CORRAL_RATE_LIMIT_MAX`, default 6000. */
  rateLimitMax: number;
  /** Origins allowed by CORS (`*` for any); empty sends no CORS headers. Env `CORRAL_CORS_ORIGINS`. */
  corsOrigins: string[];
  /** Express `trust proxy` (hops or a list of addresses) for the client address behind a load balancer. Env `CORRAL_TRUST_PROXY`, default off. */
  trustProxy: boolean | number | string;
  /** How long a shutdown waits for in-flight requests. Env `CORRAL_DRAIN_TIMEOUT_MS`, default 10000. */
  drainTimeoutMs: number;
  /** pino level. Env `CORRAL_LOG_LEVEL`, default `info`. */
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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
  corsOrigins: [],
  trustProxy: false,
  drainTimeoutMs: 10_000,
  logLevel: 'info',
};

/** Read the configuration from an environment (default `process.env`). Throws on a bad value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const d = DEFAULT_CONFIG;
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const num = (name: string, fallback: number, min: number, max: number, integer = false) => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!(integer ? Number.isInteger(value) : Number.isFinite(value)) || value < min || value > max)
      throw new Error(
        `${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got '${raw}'`,
      );
    return value;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
    num(name, fallback, min, max, true);
  const list = (name: string, fallback: string[]) => {
    const raw = env[name];
    if (raw === undefined) return fallback;
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw as T))
      throw new Error(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
    return raw as T;
  };
  const trust = text('CORRAL_TRUST_PROXY');
  return {
    port: int('PORT', d.port, 0, 65535),
    host: text('HOST') ?? d.host,
    poolSize: int('CORRAL_POOL_SIZE', d.poolSize, 1, 256),
    quarantinePoolSize: int('CORRAL_QUARANTINE_POOL_SIZE', d.quarantinePoolSize, 0, 256),
    quarantineNiceness: int('CORRAL_QUARANTINE_NICE', d.quarantineNiceness, 0, 19),
    spinMs: num('CORRAL_SPIN_MS', d.spinMs, 0, 10),
    engine: oneOf('CORRAL_ENGINE', ['quickjs', 'quickjs-ng'], d.engine),
    profile: oneOf('CORRAL_PROFILE', Object.keys(LIMIT_PROFILES) as LimitProfile[], d.profile),
    maxBodyBytes: int('CORRAL_MAX_BODY_BYTES', d.maxBodyBytes, 1024),
    allowedGlobalActions: list('CORRAL_ALLOWED_GLOBAL_ACTIONS', d.allowedGlobalActions),
    maxPlugins: int('CORRAL_MAX_PLUGINS', d.maxPlugins, 1),
    maxQueue: int('CORRAL_MAX_QUEUE', d.maxQueue, 1),
    apiKeys: list('CORRAL_API_KEYS', d.apiKeys),
    rateLimitWindowMs: int('CORRAL_RATE_LIMIT_WINDOW_MS', d.rateLimitWindowMs, 1000),
    rateLimitMax: int('CORRAL_RATE_LIMIT_MAX', d.rateLimitMax, 0),
    corsOrigins: list('CORRAL_CORS_ORIGINS', d.corsOrigins),
    trustProxy:
      trust === undefined || trust === 'false'
        ? false
        : trust === 'true'
          ? true
          : /^\d+$/.test(trust)
            ? Number(trust)
            : trust,
    drainTimeoutMs: int('CORRAL_DRAIN_TIMEOUT_MS', d.drainTimeoutMs, 0),
    logLevel: oneOf('CORRAL_LOG_LEVEL', LOG_LEVELS, d.logLevel),
  };
}
