/**
 * @module globalSetup
 * Once per run, before any test file: build the public packages (and the server) and pack each public one into one temporary
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
  // The server too: its dist/ is held to the dependency rule (tarballs.test.ts).
  build([...packages.map((p) => p.name), '@corral/server']);
  const dir = mkdtempSync(join(tmpdir(), 'corral-pack-'));
  const tarballs = Object.fromEntries(packages.map((pkg) => [pkg.name, pack(pkg, dir)]));
  project.provide('packDir', dir);
  project.provide('tarballs', tarballs);
  return () => rmSync(dir, { recursive: true, force: true });
}
