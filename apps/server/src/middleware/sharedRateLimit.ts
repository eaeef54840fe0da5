/**
 * @module middleware/sharedRateLimit
 * The rate limit's counters in Redis (`CORRAL_RATE_LIMIT_REDIS_URL`), so every replica counts
 * against one limit instead of each keeping its own. Optional: without the setting the limit is
 * express-rate-limit's memory store, per process, with no external service.
 *
 * A Redis that cannot be reached at start-up stops the server (the setting asked for a shared
 * limit). One lost later lets requests through, logged, rather than failing them: each command
 * gets `COMMAND_TIMEOUT_MS` while the connection is down, and the client reconnects by itself.
 */
import { createClient } from '@redis/client';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Logger } from 'pino';

/** How long a command may wait while Redis is unreachable before the request goes through. */
export const COMMAND_TIMEOUT_MS = 500;
/** How long start-up waits for a first connection. */
export const CONNECT_TIMEOUT_MS = 5_000;

export interface SharedRateLimit {
  /** The express-rate-limit store over Redis. */
  store: Store;
  /** Connect; rejects with a message naming the setting when Redis cannot be reached. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

export function createSharedRateLimit(url: string, logger: Logger): SharedRateLimit {
  const client = createClient({
    url,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000),
    },
    // Commands sent while the connection is down wait in a bounded queue; past it they fail
    // at once (and the request passes).
    commandsQueueMaxLength: 1_000,
  });
  let reported = false;
  let connected = false;
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (opened = resolve));
  /** An outage: logged once, and nothing counted (the request passes). */
  const unreachable = (error: unknown) => {
    if (!reported) logger.error({ err: error }, 'rate limit: Redis unreachable; requests pass unlimited');
    reported = true;
  };
  // The client reconnects on its own; one line per outage, not one per attempt or request.
  client.on('error', (error: unknown) => unreachable(error));
  client.on('ready', () => {
    if (reported) logger.info('rate limit: Redis reachable again');
    reported = false;
  });
  const send = (args: string[]) => client.sendCommand(args) as Promise<RedisReply>;
  const redisStore = new RedisStore({
    prefix: 'corral:rl:',
    // Commands before the first connection (the store loads its script as it is made) wait for
    // it; after it, one sent while the connection is down gives up quickly.
    sendCommand: (...args: string[]) => (connected ? withTimeout(send(args)) : open.then(() => send(args))),
  });
  const store: Store = {
    prefix: redisStore.prefix,
    localKeys: false,
    init: (options: Options) => redisStore.init(options),
    async increment(key): Promise<ClientRateLimitInfo> {
      try {
        return await redisStore.increment(key);
      } catch (error) {
        unreachable(error);
        return { totalHits: 0, resetTime: undefined };
      }
    },
    decrement: (key) => redisStore.decrement(key).catch(unreachable),
    resetKey: (key) => redisStore.resetKey(key).catch(unreachable),
  };
  return {
    store,
    async connect() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CONNECT_TIMEOUT_MS);
      });
      try {
        await Promise.race([client.connect(), timeout]);
        connected = true;
        opened();
      } catch (error) {
        client.destroy();
        throw new Error(
          `CORRAL_RATE_LIMIT_REDIS_URL ${redact(url)} cannot be reached (${(error as Error).message}); ` +
            'start Redis there or unset the variable for per-replica limits',
          { cause: error },
        );
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      // Nothing to flush: counters live in Redis, and a close would wait on queued commands.
      if (client.isOpen) client.destroy();
    },
  };
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not answer')), COMMAND_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'that URL';
  }
}
