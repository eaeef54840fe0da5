/**
 * docs/getting-started.md, run as written: each ```ts block in a fresh Node process (ESM, resolved
 * from this package with the `@corral/source` condition), printing what its `// →` comments say.
 * The HTTP block talks to a real server started here; the ```js plugin is loaded by the test kit
 * and clicked.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPluginHarness } from '@corral/testkit';
import { startServer, type TestServer } from './helpers.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const guide = readFileSync(resolve(packageDir, '../../docs/getting-started.md'), 'utf8');
const blocks = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const plugins = [...guide.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

describe('docs/getting-started.md', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('has the four runnable blocks and the plugin', () => {
    expect(blocks).toHaveLength(4);
    expect(plugins).toHaveLength(1);
  });

  it('the plugin renders its count and its +1 button adds one', async () => {
    await using harness = await createPluginHarness(plugins[0]!);
    const view = await harness.render('main');
    expect(view.texts()).toEqual(['Count: 0', '+1']);
    const clicked = await view.get({ role: 'button', name: '+1' }).click();
    expect(clicked.state).toEqual({ count: 1 });
    expect(clicked.view.texts()).toEqual(['Count: 1', '+1']);
  });

  blocks.forEach((block, i) => {
    it(`block ${i + 1} prints what its comments say`, async () => {
      const expected = [...block.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]);
      expect(expected.length).toBeGreaterThan(0);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--conditions=@corral/source', '--input-type=module', '-e', block],
        { cwd: packageDir, env: { ...process.env, CORRAL_URL: server.url } },
      );
      expect(stdout.trim().split('\n')).toEqual(expected);
    }, 60_000);
  });
});
