import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'corral-contracts-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('built @corral/contracts', () => {
  it('contains no run-time code generation (new Function / eval) and imports nothing', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root });
    const built = files(out);
    expect(built.map((f) => f.slice(out.length))).toContain('/generated/validators.js');
    for (const file of built) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/new\s+Function\s*\(|\beval\s*\(/);
      expect(text, file).not.toMatch(/\brequire\s*\(/);
      expect(text, file).not.toMatch(/from\s+['"](?!\.)/); // no bare imports: zero run-time dependencies
    }
    // And the built package actually works.
    const mod = await import(join(out, 'index.js'));
    expect(mod.validateUINode({ kind: 'divider' }).ok).toBe(true);
  });
});
