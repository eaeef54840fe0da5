import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as contracts from '../src/index.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```json (\w+)\n([\s\S]*?)```/g)].map(
  (m, i) => [i, m[1]!, m[2]!] as const,
);

describe('README examples are valid contract values', () => {
  it('has an example for the main types', () => {
    const types = new Set(blocks.map(([, type]) => type));
    for (const t of [
      'UINode',
      'PluginEvent',
      'DispatchIntent',
      'Dispatch',
      'PluginMeta',
      'RuntimeError',
      'RpcRequest',
      'RpcResponse',
    ]) {
      expect(types).toContain(t);
    }
  });

  it.each(blocks)('example %i (%s) validates', (_i, type, json) => {
    const validate = (contracts as unknown as Record<string, (v: unknown) => contracts.Validation<unknown>>)[
      `validate${type}`
    ];
    expect(validate, `no validator for ${type}`).toBeTypeOf('function');
    const result = validate!(JSON.parse(json));
    expect(result.ok ? 'ok' : result.message).toBe('ok');
  });
});
