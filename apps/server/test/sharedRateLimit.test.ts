/**
 * Rate limits that hold across replicas: two servers counting in one real redis-server
 * (Debian's, started on a free port) share one limit per key; without the setting each counts
 * alone. A Redis missing at start-up stops the server with a message naming the setting; one
 * lost later lets requests through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { debianTool, freePort, startRedis, type Redis } from './cluster.js';
import { call, startServer, type TestServer } from './helpers.js';

const redisServer = debianTool('redis-server', 'redis-server');
const why = 'missing' in redisServer ? redisServer.missing : '';
if (why) console.warn(`shared rate limit test skipped: ${why}`);

const health = { id: 1, op: 'health', params: {} };
const limits = { CORRAL_RATE_LIMIT_MAX: '5', CORRAL_API_KEYS: 'key-one,key-two' };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const statuses = async (server: TestServer, key: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(server.url, 'POST', '/v1/rpc', health, as(key))).status);
  return out;
};

describe('CORRAL_RATE_LIMIT_REDIS_URL', () => {
  it('is off by default, and takes only a redis:// or rediss:// URL', () => {
    expect(parseConfig({})).toMatchObject({ ok: true, config: { rateLimitRedisUrl: null } });
    const url = 'rediss://:secret@redis.internal:6380/0';
    expect(parseConfig({ CORRAL_RATE_LIMIT_REDIS_URL: url })).toMatchObject({
      ok: true,
      config: { rateLimitRedisUrl: url },
    });
    const wrong = parseConfig({ CORRAL_RATE_LIMIT_REDIS_URL: 'http://redis:6379' });
    expect(wrong.ok ? [] : wrong.errors).toEqual([
      expect.stringMatching(/^CORRAL_RATE_LIMIT_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/),
    ]);
  });
});

describe.skipIf(why !== '')('a rate limit shared through Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await startRedis((redisServer as { path: string }).path);
  });
  afterAll(() => redis?.stop());

  it('two replicas share one limit per key: 3 on A + 2 on B, then both refuse', async () => {
    const env = { ...limits, CORRAL_RATE_LIMIT_REDIS_URL: redis.url };
    const [a, b] = await Promise.all([startServer(env), startServer(env)]);
    try {
      expect(await statuses(a, 'key-one', 3)).toEqual([200, 200, 200]);
      expect(await statuses(b, 'key-one', 2)).toEqual([200, 200]);
      const refused = await call(b.url, 'POST', '/v1/rpc', health, as('key-one'));
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('RATE_LIMITED');
      expect((await call(a.url, 'POST', '/v1/rpc', health, as('key-one'))).status).toBe(429);
      // Another key has a limit of its own.
      expect(await statuses(a, 'key-two', 1)).toEqual([200]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('without the setting each replica counts alone (the default: no external service)', async () => {
    const [a, b] = await Promise.all([startServer(limits), startServer(limits)]);
    try {
      expect(await statuses(a, 'key-one', 6)).toEqual([200, 200, 200, 200, 200, 429]);
      expect(await statuses(b, 'key-one', 5)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a Redis that cannot be reached stops the start-up, naming the setting', async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    await expect(startServer({ ...limits, CORRAL_RATE_LIMIT_REDIS_URL: nobody })).rejects.toThrow(
      /CORRAL_RATE_LIMIT_REDIS_URL redis:\/\/127\.0\.0\.1:\d+\/? cannot be reached/,
    );
  });

  it('a Redis lost after start-up lets requests through instead of failing them', async () => {
    const own = await startRedis((redisServer as { path: string }).path);
    const server = await startServer({ ...limits, CORRAL_RATE_LIMIT_REDIS_URL: own.url });
    try {
      expect(await statuses(server, 'key-one', 1)).toEqual([200]);
      await own.stop();
      expect(await statuses(server, 'key-one', 6)).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await server.close();
    }
  });
});
