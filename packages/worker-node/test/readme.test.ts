/**
 * The README's example, run as written in a fresh Node process (ESM, resolved from this package
 * with the `@corral/source` condition): every `// → value` comment is a line it must print.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(resolve(packageDir, 'README.md'), 'utf8');
const example = /^```ts\n([\s\S]*?)^```$/m.exec(readme)![1]!;

it('the README example prints what its comments say', async () => {
  const expected = [...example.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBeGreaterThan(0);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=@corral/source', '--input-type=module', '-e', example],
    { cwd: packageDir },
  );
  expect(stdout.trim().split('\n')).toEqual(expected);
});
