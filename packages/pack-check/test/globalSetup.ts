/**
 * @module globalSetup
 * Once per run, before any test file: build the public packages and pack each into one temporary
 * directory, which the test files read (`inject('packDir')`). Removed after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { build, pack, publicPackages } from './workspace.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory holding one tarball per public package. */
    packDir: string;
    /** Each public package's tarball, by package name. */
    tarballs: Record<string, string>;
  }
}

export default function setup(project: TestProject): () => void {
  const packages = publicPackages();
  build(packages);
  const dir = mkdtempSync(join(tmpdir(), 'corral-pack-'));
  const tarballs = Object.fromEntries(packages.map((pkg) => [pkg.name, pack(pkg, dir)]));
  project.provide('packDir', dir);
  project.provide('tarballs', tarballs);
  return () => rmSync(dir, { recursive: true, force: true });
}
