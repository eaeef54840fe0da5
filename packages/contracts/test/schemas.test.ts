import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as contracts from '../src/index.js';
import { ROOT_TYPES } from '../scripts/root-types.js';
import { INVALID, VALID } from './examples.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const validatorFor = (name: string) =>
  (contracts as unknown as Record<string, (v: unknown) => contracts.Validation<unknown>>)[`validate${name}`]!;

describe('generated schemas and validators', () => {
  it('regenerating the schemas and validators changes nothing', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('up to date');
  });

  it.each(ROOT_TYPES)('publishes schemas/%s.json with JSDoc carried into descriptions', (name) => {
    const schema = JSON.parse(readFileSync(join(root, 'schemas', `${name}.json`), 'utf8'));
    expect(schema.$id).toBe(`https://corral.dev/schemas/${name}.json`);
    expect(JSON.stringify(schema)).toContain('"description"');
  });

  it('rejects unknown props on every object of the UI tree (additionalProperties: false)', () => {
    const schema = JSON.parse(readFileSync(join(root, 'schemas', 'UINode.json'), 'utf8'));
    const nodes = Object.entries(
      schema.definitions as Record<string, { type?: string; additionalProperties?: unknown }>,
    ).filter(([name]) => name.endsWith('Node') && name !== 'UINode');
    expect(nodes).toHaveLength(13);
    for (const [, def] of nodes) expect(def.additionalProperties).toBe(false);
  });
});

describe.each(ROOT_TYPES)('validate%s', (name) => {
  const validate = validatorFor(name);

  it.each(VALID[name].map((v, i) => [i, v] as const))('accepts valid example %i', (_i, value) => {
    const result = validate(value);
    expect(result.ok ? 'ok' : result.message).toBe('ok');
  });

  it.each(INVALID[name].map((v, i) => [i, v] as const))(
    'rejects invalid example %i at its path',
    (_i, { value, path }) => {
      const result = validate(value);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues[0]!.path).toBe(path);
        expect(result.message).toMatch(/^\/.*: .+/);
      }
    },
  );
});

describe('readable error paths', () => {
  it('names the offending field of a nested node', () => {
    const result = contracts.validateUINode({
      kind: 'panel',
      children: [
        { kind: 'text', text: 'a' },
        { kind: 'text', text: 'b' },
        { kind: 'text', text: 'c' },
        { kind: 'button', label: 3, onClick: { handler: 'x' } },
      ],
    });
    expect(result).toMatchObject({ ok: false, message: '/children/3/label: must be string, not number (3)' });
  });

  it('names an unknown prop', () => {
    const result = contracts.validateUINode({ kind: 'divider', html: '<b>' });
    expect(result.ok || result.message).toBe(
      "/: property 'html' is not allowed on a divider node; allowed: kind, key",
    );
  });
});
