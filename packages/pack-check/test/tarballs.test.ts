/**
 * Each public package's tarball, as `pnpm pack` makes it (what `pnpm publish` uploads): clean
 * under publint and Are the Types Wrong, a manifest that installs anywhere, every file it
 * points at shipped, the LICENSE inside, no source map pointing at a file that is not shipped,
 * and its dependencies exactly the packages its files import. The server, private but run from
 * its dist/ by `npm start`, is held to the last rule too.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { importedPackages } from './imports.js';
import { publicPackages, readTarball, repoRoot, type Manifest, type Packed } from './workspace.js';

const packages = publicPackages();
const tarballs = inject('tarballs');
const DEPENDENCY_FIELDS = [
  'dependencies',
  'peerDependencies',
  'optionalDependencies',
  'devDependencies',
] as const;

/**
 * Packages a file names only on a path its published build never takes, and why. Anything else a
 * shipped file imports must be a declared dependency.
 */
const NOT_TAKEN_WHEN_INSTALLED: Record<string, Record<string, string>> = {
  '@corral/worker-node': {
    tsx: 'a thread boots through tsx only when the package runs from src/, inside the repository',
  },
};

describe('the workspace', () => {
  it('publishes the packages an embedder needs, each packed once', () => {
    const names = packages.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['@corral/contracts', '@corral/core', '@corral/worker-node']),
    );
    expect(Object.keys(tarballs).sort()).toEqual(names);
  });

  it('lists every public package as a devDependency here, so turbo builds it first and re-runs these tests when it changes', () => {
    const own = JSON.parse(
      readFileSync(join(repoRoot, 'packages/pack-check/package.json'), 'utf8'),
    ) as Manifest;
    const missing = packages
      .filter((p) => own.devDependencies?.[p.name] !== 'workspace:*')
      .map((p) => p.name);
    expect(missing, 'add each as "workspace:*" to packages/pack-check devDependencies').toEqual([]);
  });
});

describe.each(packages.map((p) => [p.name, p] as const))('%s, packed', (_name, pkg) => {
  let packed: Packed;
  beforeAll(async () => {
    packed = await readTarball(pkg, tarballs[pkg.name]!);
  });

  it('passes publint (strict, suggestions included)', async () => {
    const data = readFileSync(packed.tarball);
    const tarball = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const { messages, pkg: manifest } = await publint({
      pack: { tarball },
      level: 'suggestion',
      strict: true,
    });
    expect(
      messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, manifest, { color: false })}`),
    ).toEqual([]);
  });

  it('has types that resolve under Are the Types Wrong (the ESM-only profile: node16 and bundlers)', () => {
    const attw = join(repoRoot, 'packages/pack-check/node_modules/.bin/attw');
    const args = [packed.tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii'];
    let output = '';
    let status = 0;
    try {
      output = execFileSync(attw, [...args, '--no-color', '--no-emoji'], { encoding: 'utf8' });
    } catch (error) {
      ({ status, stdout: output } = error as { status: number; stdout: string });
    }
    expect(status, output).toBe(0);
  });

  it('has a manifest that installs outside the workspace: no workspace: or catalog: ranges', () => {
    expect(packed.manifest).toMatchObject({ name: pkg.name, version: pkg.version });
    const local = DEPENDENCY_FIELDS.flatMap((field) =>
      Object.entries(packed.manifest[field] ?? {})
        .filter(([, range]) => /^(workspace|catalog):/.test(range))
        .map(([name, range]) => `${field}.${name}: ${range}`),
    );
    expect(local).toEqual([]);
  });

  it('ships every file its manifest points at (exports, types, main, bin)', () => {
    const missing = manifestTargets(packed.manifest).filter((target) => !ships(packed.files, target));
    // `@corral/source` points at src/, which does not ship: publishConfig.exports leaves it out.
    expect(missing, 'files the manifest names but the tarball lacks').toEqual([]);
  });

  it('carries the MIT LICENSE and its README', () => {
    expect(new TextDecoder().decode(packed.files.get('LICENSE'))).toMatch(/^MIT License\n/);
    expect(packed.files.has('README.md')).toBe(true);
  });

  it('ships no tests, benchmarks or source maps pointing at files it does not ship', () => {
    const paths = [...packed.files.keys()];
    expect(paths.filter((path) => /^(test|bench)\//.test(path))).toEqual([]);
    expect(brokenSourceMaps(packed.files)).toEqual([]);
  });

  it('declares as dependencies exactly the packages its files import', async () => {
    const imported = await importedPackages(packed.files);
    for (const name of Object.keys(NOT_TAKEN_WHEN_INSTALLED[pkg.name] ?? {})) imported.delete(name);
    // A package may import itself by name (Node resolves it through its own `exports`).
    imported.delete(pkg.name);
    const declared = new Set(
      ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
        Object.keys(packed.manifest[field as keyof Manifest] ?? {}),
      ),
    );
    const undeclared = [...imported]
      .filter(([name]) => !declared.has(name))
      .map(([name, file]) => `${name} (${file})`);
    const unused = [...declared].filter((name) => !imported.has(name));
    expect({ undeclared, unused }).toEqual({ undeclared: [], unused: [] });
  });
});

describe('@corral/server, which npm start runs from its dist/', () => {
  it('declares as dependencies exactly the packages dist/ imports', async () => {
    const dir = join(repoRoot, 'apps/server');
    const files = new Map(
      readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' })
        .filter((path) => path.endsWith('.js'))
        .map((path) => [`dist/${path}`, readFileSync(join(dir, 'dist', path))] as const),
    );
    expect(files.size).toBeGreaterThan(0);
    const imported = await importedPackages(files);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    const declared = Object.keys(manifest.dependencies ?? {});
    expect({
      undeclared: [...imported.keys()].filter((name) => !declared.includes(name)),
      unused: declared.filter((name) => !imported.has(name)),
    }).toEqual({ undeclared: [], unused: [] });
  });
});

/** Every file path the manifest names, as written (`./dist/index.js`, `./schemas/*.json`). */
function manifestTargets(manifest: Manifest): string[] {
  const targets: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  for (const field of [manifest.types, manifest.main]) if (field !== undefined) targets.push(field);
  return targets;
}

/** Whether a target (a path or a `*` pattern) names at least one shipped file. */
function ships(files: Map<string, Uint8Array>, target: string): boolean {
  const path = posix.normalize(target);
  if (!path.includes('*')) return files.has(path);
  const [before, after] = path.split('*') as [string, string];
  return [...files.keys()].some((file) => file.startsWith(before) && file.endsWith(after));
}

/** Source maps (and `sourceMappingURL` comments) that point at a file the tarball lacks. */
function brokenSourceMaps(files: Map<string, Uint8Array>): string[] {
  const broken: string[] = [];
  const text = (path: string) => new TextDecoder().decode(files.get(path));
  for (const path of files.keys()) {
    if (/\.(m?js|d\.m?ts)$/.test(path)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text(path))?.[1];
      if (url && !url.startsWith('data:') && !files.has(posix.join(dirname(path), url)))
        broken.push(`${path}: sourceMappingURL ${url} is not shipped`);
    }
    if (!path.endsWith('.map')) continue;
    const map = JSON.parse(text(path)) as {
      sources: string[];
      sourceRoot?: string;
      sourcesContent?: (string | null)[];
    };
    map.sources.forEach((source, i) => {
      const resolved = posix.join(dirname(path), map.sourceRoot ?? '', source);
      if (!files.has(resolved) && typeof map.sourcesContent?.[i] !== 'string')
        broken.push(`${path}: source ${source} is not shipped`);
    });
  }
  return broken;
}
