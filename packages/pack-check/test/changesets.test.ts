/**
 * Versions are managed with changesets, offline: `changeset version` run on a copy of the
 * workspace's manifests and `.changeset/config.json` turns a pending changeset into a version
 * bump and a CHANGELOG.md entry for public packages, never touches private ones, and needs
 * neither git (the copy has none) nor the registry.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, workspacePackages, type Manifest } from './workspace.js';

const packages = workspacePackages().filter((p) => p.dir !== repoRoot);

describe('changesets', () => {
  let copy: string;
  const manifest = (dir: string) =>
    JSON.parse(readFileSync(join(copy, relative(repoRoot, dir), 'package.json'), 'utf8')) as Manifest;
  const core = packages.find((p) => p.name === '@corral/core')!;

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'corral-changesets-'));
    for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json']) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(copy, file));
    }
    for (const pkg of packages) {
      const at = join(copy, relative(repoRoot, pkg.dir));
      mkdirSync(at, { recursive: true });
      cpSync(join(pkg.dir, 'package.json'), join(at, 'package.json'));
    }
    writeFileSync(
      join(copy, '.changeset/quiet-plugins-count.md'),
      "---\n'@corral/core': minor\n---\n\nA new option.\n",
    );
    await promisify(execFile)(join(repoRoot, 'node_modules/.bin/changeset'), ['version'], {
      cwd: copy,
      // The registry pointed at a closed port: versioning must not need it.
      env: { ...process.env, CI: 'true', npm_config_registry: 'http://127.0.0.1:9/' },
    });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('bumps the package a changeset names and writes its CHANGELOG.md entry', () => {
    const [major, minor] = core.version.split('.').map(Number) as [number, number];
    expect(manifest(core.dir).version).toBe(major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`);
    const changelog = readFileSync(join(copy, relative(repoRoot, core.dir), 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(new RegExp(`^# @corral/core\\n\\n## ${manifest(core.dir).version}\\n`));
    expect(changelog).toContain('A new option.');
    expect(existsSync(join(copy, '.changeset/quiet-plugins-count.md'))).toBe(false);
  });

  it('bumps the public packages that depend on it by a patch, and no private package', () => {
    const dependents = packages.filter(
      (p) => p.name !== core.name && manifest(p.dir).dependencies?.[core.name],
    );
    expect(dependents.filter((p) => !p.private).length).toBeGreaterThan(0);
    for (const pkg of dependents.filter((p) => !p.private)) {
      const [major, minor, patch] = pkg.version.split('.').map(Number) as [number, number, number];
      expect(manifest(pkg.dir).version, pkg.name).toBe(`${major}.${minor}.${patch + 1}`);
      // pnpm pack turns workspace:* into the exact new version when it publishes.
      expect(manifest(pkg.dir).dependencies![core.name], pkg.name).toBe('workspace:*');
    }
    for (const pkg of packages.filter((p) => p.private)) {
      expect(manifest(pkg.dir).version, pkg.name).toBe(pkg.version);
      expect(existsSync(join(copy, relative(repoRoot, pkg.dir), 'CHANGELOG.md')), pkg.name).toBe(false);
    }
  });
});
