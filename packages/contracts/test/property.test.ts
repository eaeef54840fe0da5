import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as contracts from '../src/index.js';
import { ROOT_TYPES } from '../scripts/root-types.js';
import { VALID } from './examples.js';

const validators = ROOT_TYPES.map(
  (name) =>
    [
      name,
      (contracts as unknown as Record<string, (v: unknown) => contracts.Validation<unknown>>)[
        `validate${name}`
      ]!,
    ] as const,
);

/** Replace one random spot of a valid example with arbitrary data. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(value)
    ? ([...value] as unknown as Record<string, unknown>)
    : { ...value };
  copy[key] = mutate((value as Record<string, unknown>)[key], path.slice(1), replacement);
  return copy;
}

function expectAnswer(result: contracts.Validation<unknown>): void {
  expect(typeof result.ok).toBe('boolean');
  if (!result.ok) {
    expect(result.issues.length).toBeGreaterThan(0);
    expect(typeof result.message).toBe('string');
  }
}

describe('validators never throw', () => {
  it('on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const [, validate] of validators) expectAnswer(validate(value));
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary JS values (functions, symbols, bigints, odd prototypes)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withTypedArray: true,
          withSparseArray: true,
          withNullPrototype: true,
        }),
        (value) => {
          for (const [, validate] of validators) expectAnswer(validate(value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on mutated valid examples, which may then be valid or not', () => {
    const examples = ROOT_TYPES.flatMap((name) => VALID[name].map((value) => [name, value] as const));
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.anything({ withBigInt: true }),
        ([name], path, replacement) => {
          const example = VALID[name][0];
          const validate = validators.find(([n]) => n === name)![1];
          expectAnswer(validate(mutate(example, path, replacement)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
