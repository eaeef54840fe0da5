/**
 * Runs the real `corral` bin in a child node, from source: tsx's loader and the @corral/source
 * condition, so no build is needed (installed, the same bin runs dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bin = join(packageDir, 'bin', 'corral.js');
export const fixtures = join(packageDir, 'test', 'fixtures');
/** Node flags that run the bin from source. */
export const sourceFlags = ['--import', 'tsx', '--conditions=@corral/source'];

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function start(args: readonly string[], cwd = packageDir): ChildProcess {
  // tsx resolves from this package; the child's cwd may be a temp dir.
  const tsx = import.meta.resolve('tsx');
  return spawn(process.execPath, ['--import', tsx, '--conditions=@corral/source', bin, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function corral(args: readonly string[], cwd = packageDir): Promise<Ran> {
  const child = start(args, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
