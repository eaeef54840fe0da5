/**
 * `checkStates` decides with a fast recursive walk and only asks the contracts' general walker
 * for the failing value's path; the two must agree on every value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonBounds } from '@corral/contracts';
import { checkStates } from '@corral/core';

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { v };
  return v;
};

describe('checkStates', () => {
  it('refuses exactly what checkJsonBounds refuses, in either state', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.jsonValue(), fc.integer({ min: 250, max: 262 }).map(nested)),
        fc.boolean(),
        (value, inGlobal) => {
          const state = inGlobal ? 'globalState' : 'pluginState';
          const error = checkStates({ pluginState: {}, globalState: {}, [state]: value });
          const issue = checkJsonBounds(value);
          expect(error === null).toBe(issue === null);
          if (error) {
            expect(error.code).toBe('INVALID_STATE');
            expect(error.details).toEqual({ state, path: issue!.path, issue: issue!.message });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves missing states and non-object params to the schema', () => {
    expect(checkStates({ pluginId: 'x' })).toBeNull();
    expect(checkStates(null)).toBeNull();
  });
});
