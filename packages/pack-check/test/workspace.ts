/**
 * @module workspace
 * The workspace as the checks see it: its public packages (whatever pnpm lists as not private,
 * so a new package is checked without a line here), built and packed by pnpm exactly as
 * `pnpm publish` would pack them, and each tarball read back file by file.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpack } from '@publint/pack';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The pnpm the repository pins (a root devDependency), run by path: no corepack, no PATH. */
const pnpmBin = join(repoRoot, 'node_modules/.bin/pnpm');

export interface WorkspacePackage {
  name: string;
  version: string;
  /** Absolute path of the package's directory. */
  dir: string;
}

/** A package as its tarball holds it. */
export interface Packed extends WorkspacePackage {
  tarball: string;
  /** Every file, by its path inside the package (`dist/index.js`, `package.json`). */
  files: Map<string, Uint8Array>;
  /** The package.json that ships: `workspace:` and `catalog:` ranges rewritten, publishConfig applied. */
  manifest: Manifest;
}

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: unknown;
  types?: string;
  main?: string;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function pnpm(args: string[], cwd = repoRoot): string {
  return execFileSync(pnpmBin, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every package of the workspace, the root included, as pnpm lists it. */
export function workspacePackages(): (WorkspacePackage & { private: boolean })[] {
  const listed = JSON.parse(pnpm(['ls', '-r', '--depth', '-1', '--json'])) as {
    name: string;
    version?: string;
    path: string;
    private?: boolean;
  }[];
  return listed
    .map((p) => ({ name: p.name, version: p.version ?? '0.0.0', dir: p.path, private: p.private === true }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Every package of the workspace that is published (not `private`). */
export function publicPackages(): WorkspacePackage[] {
  return workspacePackages()
    .filter((p) => !p.private)
    .map(({ name, version, dir }) => ({ name, version, dir }));
}

/** Build the packages named (a turbo cache hit when `npm test` built them already). */
export function build(names: string[]): void {
  execFileSync(
    join(repoRoot, 'node_modules/.bin/turbo'),
    ['run', 'build', '--output-logs=errors-only', ...names.map((name) => `--filter=${name}`)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    },
  );
}

/** `pnpm pack` one package into `destination`; returns the tarball's path. */
export function pack(pkg: WorkspacePackage, destination: string): string {
  const out = JSON.parse(pnpm(['pack', '--json', '--pack-destination', destination], pkg.dir)) as {
    filename: string;
  };
  return out.filename;
}

export async function readTarball(pkg: WorkspacePackage, tarball: string): Promise<Packed> {
  const { files, rootDir } = await unpack(readFileSync(tarball));
  const byPath = new Map(files.map((f) => [f.name.slice(rootDir.length + 1), f.data]));
  const manifest = JSON.parse(new TextDecoder().decode(byPath.get('package.json'))) as Manifest;
  return { ...pkg, tarball, files: byPath, manifest };
}
