/**
 * `checkStates` decides with a fast recursive walk and only asks the contracts' general walker
 * for the failing value's path; the two must agree on every value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonBounds } from '@corral/contracts';
import { checkStates } from '@corral/core';
import { CorruptedVmError } from '../src/runtime/screening.js';
import { bootstrapFailure } from '../src/runtime/vmResult.js';

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

describe('a state text the VM cannot parse', () => {
  it('is INVALID_STATE naming the state the host finds unparsable; a forged claim is not believed', () => {
    // `input` is a call's input in parts, as callInput writes it for state texts.
    const input = (plugin: string, global: string) =>
      `\u001e{"now":1,"seed":1}\u001e${plugin}\u001e${global}`;
    const claim = JSON.stringify({ code: 'INVALID_STATE', message: 'x', details: { state: 'pluginState' } });
    const genuine = bootstrapFailure(claim, input('{}', '{not json'));
    expect(genuine.code).toBe('INVALID_STATE');
    expect(genuine.details).toEqual({ state: 'globalState', path: '', issue: 'not JSON text' });
    for (const forged of [input('{}', '[]'), '{"pluginState":{},"globalState":{}}', null]) {
      expect(() => bootstrapFailure(claim, forged)).toThrow(CorruptedVmError);
    }
    expect(() => bootstrapFailure('{"code":"INTERNAL","message":"x"}', null)).toThrow(/forged/);
    expect(() => bootstrapFailure('[[[', null)).toThrow(CorruptedVmError);
    expect(
      bootstrapFailure('{"code":"DISPATCH_LIMIT","message":"too many","details":{"a":1}}', null).details,
    ).toBe(undefined);
  });
});
