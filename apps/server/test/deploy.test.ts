/**
 * docs/deploy without Docker or a cluster: the Kubernetes example parses and agrees with the
 * server (its settings are real ones with valid values, the probes are the server's routes, the
 * grace period covers the drain), and every path, package and command the Dockerfile names
 * exists in the repository or is built by it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { nginxConfig } from './cluster.js';
import { serverDir } from './helpers.js';

const root = resolve(serverDir, '../..');
const deployDir = join(root, 'docs/deploy');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  packageManager: string;
  engines: { node: string };
};
/** Every workspace package: its directory and package.json. */
const workspace = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        scripts?: Record<string, string>;
      },
    })),
);

/* eslint-disable @typescript-eslint/no-explicit-any -- the manifests are untyped YAML */
describe('the Kubernetes example', () => {
  const docs = loadAll(readFileSync(join(deployDir, 'kubernetes.yaml'), 'utf8')) as any[];
  const deployment = docs.find((d) => d.kind === 'Deployment');
  const service = docs.find((d) => d.kind === 'Service');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries(
    container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, String(e.value)]),
  ) as Record<string, string>;

  it('is a Deployment and a Service whose selectors meet', () => {
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'Service']);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(container.ports.map((p: any) => p.name)).toContain(service.spec.ports[0].targetPort);
  });

  it('sets only real settings, with values the server accepts', () => {
    const named = container.env.map((e: any) => e.name as string);
    const parsed = parseConfig(Object.fromEntries(named.map((name: string) => [name, env[name] ?? 'a-key'])));
    expect(parsed).toMatchObject({ ok: true, warnings: [] });
    const config = parsed.ok ? parsed.config : null;
    expect(config?.host).toBe('0.0.0.0');
    expect(container.ports[0].containerPort).toBe(config?.port);
    // One worker per core left after the HTTP thread's.
    expect(config?.poolSize).toBe(Number(container.resources.limits.cpu) - 1);
  });

  it('probes readiness on /readyz and liveness on /healthz, on the named port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it("gives the pod time for preStop plus the server's whole drain", () => {
    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    const drainSeconds = Number(env.CORRAL_DRAIN_TIMEOUT_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + drainSeconds);
    expect(pod.terminationGracePeriodSeconds).toBeLessThanOrEqual(preStopSeconds + drainSeconds + 10);
  });

  it('runs as the image user, not root, with requests and limits', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });
});
/* eslint-enable @typescript-eslint/no-explicit-any */

describe('the Dockerfile', () => {
  const text = readFileSync(join(deployDir, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const instructions = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.trim().split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

  it('has a build stage and a runtime stage on a Node the repository supports', () => {
    const images = all('FROM');
    expect(images).toHaveLength(2);
    expect(images[0]).toMatch(/ AS build$/);
    for (const image of images) {
      const [, major, minor] = /^node:(\d+)\.(\d+)/.exec(image) ?? [];
      const [, wantMajor, wantMinor] = /^>=(\d+)\.(\d+)$/.exec(rootPackage.engines.node) ?? [];
      expect(Number(major)).toBe(Number(wantMajor));
      expect(Number(minor)).toBeGreaterThanOrEqual(Number(wantMinor));
    }
  });

  it("installs the repository's pinned pnpm and builds packages that exist", () => {
    expect(text).toContain(`npm install -g ${rootPackage.packageManager}`);
    const build = all('RUN').find((r) => r.includes('turbo run build'))!;
    const filters = [...build.matchAll(/--filter=(\S+)/g)].map((m) => m[1]!);
    expect(filters.length).toBeGreaterThan(0);
    for (const filter of filters) {
      const found = filter.startsWith('./')
        ? workspace.find((w) => w.dir === join(root, filter))
        : workspace.find((w) => w.pkg.name === filter);
      expect(found?.pkg.scripts?.build, filter).toBeDefined();
    }
  });

  it('copies only what the repository has or its install and build make', () => {
    const copies = all('COPY').map((args) => args.split(/\s+/)[1]!.replace(/^\/repo\/?/, ''));
    expect(copies.length).toBeGreaterThan(3);
    for (const path of copies) {
      const made =
        /(^|\/)node_modules$/.test(path) ||
        (/(^|\/)dist$/.test(path) && existsSync(join(root, path, '..', 'package.json')));
      expect(made || existsSync(join(root, path)), path).toBe(true);
    }
  });

  it('runs the built entry as `node`, with settings the server accepts', () => {
    expect(all('USER')).toEqual(['node']);
    const [command] = all('CMD');
    expect(JSON.parse(command!)).toEqual(['node', 'apps/server/dist/main.js']);
    // dist/main.js is what tsc makes of src/main.ts.
    expect(existsSync(join(serverDir, 'src/main.ts'))).toBe(true);
    const env = Object.fromEntries(
      all('ENV')
        .at(-1)!
        .split(/\s+/)
        .map((pair) => pair.split('=') as [string, string]),
    );
    const parsed = parseConfig(env);
    expect(parsed).toMatchObject({ ok: true, warnings: [] });
    expect(env.CORRAL_PLAYGROUND_DIR).toBe('/app/apps/playground/dist');
  });
});

describe("docs/deploy's nginx configuration", () => {
  /** The proxying directives, without comments, spacing, addresses or temporary paths, sorted. */
  const directives = (text: string) =>
    text
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim().replace(/\s+/g, ' '))
      .map((line) => line.replace(/^server \S+ (?=max_fails)/, 'server <address> '))
      .filter((line) => /^(hash|keepalive|client_max_body_size|proxy_|server <address>)/.test(line))
      .filter((line) => !/_temp_path /.test(line))
      .sort();

  it('is the one the chaos test runs, directive for directive', () => {
    const readme = readFileSync(join(deployDir, 'README.md'), 'utf8');
    const block = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const tested = directives(nginxConfig({ port: 1, upstreams: [2, 3, 4], dir: '/tmp' }));
    expect(tested.length).toBeGreaterThan(8);
    expect(directives(block)).toEqual(tested);
    expect(tested.find((line) => line.startsWith('proxy_next_upstream '))).toBe(
      'proxy_next_upstream error timeout;',
    );
  });
});
