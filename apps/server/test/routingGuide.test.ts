/**
 * docs/routing.md, run as written: each ```ts block as a TypeScript module in a fresh Node process
 * (tsx; written under this package so it resolves its dependencies, with the `@corral/source`
 * condition) against a real server, printing what its `// →` comments say.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const guide = readFileSync(resolve(packageDir, '../../docs/routing.md'), 'utf8');
const blocks = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

describe('docs/routing.md', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('has its four runnable blocks, and no snippet in another language', () => {
    expect(blocks).toHaveLength(4);
    expect(guide.match(/^```(?!ts$)\S+$/gm)).toBeNull();
  });

  blocks.forEach((block, i) => {
    it(`block ${i + 1} prints what its comments say`, async () => {
      const expected = [...block.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]);
      expect(expected.length).toBeGreaterThan(0);
      const dir = mkdtempSync(resolve(packageDir, 'test/.guide-'));
      try {
        writeFileSync(resolve(dir, 'block.ts'), block);
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', '--conditions=@corral/source', resolve(dir, 'block.ts')],
          { cwd: packageDir, env: { ...process.env, CORRAL_URL: server.url } },
        );
        expect(stdout.trim().split('\n')).toEqual(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
