import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CorralError,
  ERROR_CODES,
  ERROR_CODE_LIST,
  isErrorCode,
  validateRuntimeError,
} from '../src/index.js';
import type { ErrorCode } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('error code table', () => {
  it('lists exactly the codes the schema allows', () => {
    const schema = JSON.parse(readFileSync(join(root, 'schemas', 'RuntimeError.json'), 'utf8'));
    const allowed = schema.definitions.ErrorCode.enum as string[];
    expect([...allowed].sort()).toEqual([...ERROR_CODE_LIST].sort());
    expect(ERROR_CODE_LIST).toHaveLength(22);
  });

  it.each(ERROR_CODE_LIST)('%s has a wire example, a fault, a retry rule and an HTTP status', (code) => {
    const info = ERROR_CODES[code];
    expect(['plugin', 'caller', 'host']).toContain(info.fault);
    expect(typeof info.retryable).toBe('boolean');
    expect(info.httpStatus).toBeGreaterThanOrEqual(400);
    expect(info.description.length).toBeGreaterThan(10);
    const wire = new CorralError(code, `example ${code}`, { example: true }).toWire();
    expect(validateRuntimeError(wire).ok).toBe(true);
    expect(CorralError.fromWire(wire)).toMatchObject({
      code,
      message: `example ${code}`,
      details: { example: true },
    });
  });

  it('retryable codes are exactly those where a later call can succeed', () => {
    const retryable = ERROR_CODE_LIST.filter((c) => ERROR_CODES[c].retryable).sort();
    expect(retryable).toEqual(
      ['CANCELLED', 'INTERNAL', 'OVERLOADED', 'RATE_LIMITED', 'UNKNOWN_PLUGIN', 'WORKER_CRASHED'].sort(),
    );
  });
});

describe('CorralError.fromUnknown', () => {
  it('keeps the code of an error from another realm (matches on code, not instanceof)', () => {
    const foreign = { code: 'LIMIT_TIME' as ErrorCode, message: 'too slow', details: { ms: 50 } };
    const error = CorralError.fromUnknown(foreign);
    expect(error).toBeInstanceOf(CorralError);
    expect(error.toWire()).toEqual(foreign);
  });

  it('turns anything else into INTERNAL, a defect', () => {
    expect(CorralError.fromUnknown(new TypeError('boom')).toWire()).toEqual({
      code: 'INTERNAL',
      message: 'Internal error: boom',
    });
    expect(CorralError.fromUnknown('str').code).toBe('INTERNAL');
    expect(CorralError.fromUnknown({ code: 'NOT_A_CODE' }).code).toBe('INTERNAL');
    expect(CorralError.fromUnknown(null).fault).toBe('host');
  });

  it('returns the same instance for a CorralError', () => {
    const e = new CorralError('UNKNOWN_PLUGIN', 'x');
    expect(CorralError.fromUnknown(e)).toBe(e);
    expect(isErrorCode('UNKNOWN_PLUGIN')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });
});
