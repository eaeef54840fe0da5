/**
 * A project made by `corral init` works as made: it builds, checks and passes its own tests,
 * each through its own npm script. Its @corral/* dependencies are this repository's packages,
 * linked as npm would install them and run compiled (dist/, built first by turbo; cached when
 * `npm test` has built already), with no source condition: what a person who installs them gets.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { corral, packageDir } from './run.js';

const run = promisify(execFile);
const repo = join(packageDir, '..', '..');

/** What `npm install` would put in node_modules: the packages, and the bins scripts call. */
function link(project: string): void {
  const modules = join(project, 'node_modules');
  const packages: Record<string, string> = {
    '@corral/cli': packageDir,
    '@corral/plugin': join(repo, 'packages', 'plugin'),
    '@corral/testkit': join(repo, 'packages', 'testkit'),
    typescript: realpathSync(join(packageDir, 'node_modules', 'typescript')),
    vitest: realpathSync(join(packageDir, 'node_modules', 'vitest')),
  };
  for (const [name, target] of Object.entries(packages)) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(target, join(modules, name), 'dir');
  }
  const bins: Record<string, string> = {
    corral: '../@corral/cli/bin/corral.js',
    tsc: '../typescript/bin/tsc',
    vitest: '../vitest/vitest.mjs',
  };
  mkdirSync(join(modules, '.bin'));
  for (const [name, target] of Object.entries(bins)) symlinkSync(target, join(modules, '.bin', name));
}

/** An npm script's output; a failing script fails the test with what it printed. */
async function npm(project: string, script: string): Promise<string> {
  const env = { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' };
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', script], { cwd: project, env });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run ${script} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

beforeAll(async () => {
  await run(
    join(packageDir, 'node_modules', '.bin', 'turbo'),
    ['run', 'build', '--filter=@corral/cli...', '--output-logs=errors-only'],
    {
      cwd: repo,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    },
  );
}, 300_000);

it('makes a project that builds, checks and passes its own test', async () => {
  const project = join(mkdtempSync(join(tmpdir(), 'corral-init-')), 'My Plugin');
  const made = await corral(['init', project]);
  expect(made.code).toBe(0);
  expect(made.stdout).toContain('created my-plugin in');
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(Object.keys(pkg.scripts)).toEqual(['build', 'check', 'test']);

  link(project);
  expect(await npm(project, 'build')).toMatch(/^built dist\/plugin\.js \([\d.]+ KiB from \d files\)/);
  expect(existsSync(join(project, 'dist', 'plugin.js'))).toBe(true);
  expect(await npm(project, 'check')).toMatch(/^ok src\/plugin\.tsx: "Counter" loads and renders/);
  expect(await npm(project, 'test')).toMatch(/Tests {2}1 passed \(1\)/);
}, 300_000);

it('refuses a directory that already has files, with exit 2', async () => {
  const r = await corral(['init', packageDir]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error TARGET_NOT_EMPTY: .* already has files in it\n {2}hint: /);
});
