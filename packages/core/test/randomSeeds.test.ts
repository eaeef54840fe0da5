import { describe, expect, it } from 'vitest';
import { pooledRandomSeeds } from '../src/randomSeeds.js';

describe('pooledRandomSeeds', () => {
  it('draws seeds in batches and hands each out once, across refills', () => {
    let fills = 0;
    let counter = 0;
    const seeds = pooledRandomSeeds((values) => {
      fills++;
      for (let i = 0; i < values.length; i++) values[i] = counter++;
    });
    const drawn = Array.from({ length: 600 }, () => seeds());
    expect(fills).toBe(3);
    expect(drawn).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('gives unsigned 32-bit seeds that do not repeat, from the platform source by default', () => {
    const seeds = pooledRandomSeeds();
    const drawn = Array.from({ length: 1000 }, () => seeds());
    for (const seed of drawn) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    // 1,000 draws of 32 bits collide with probability ~1e-4.
    expect(new Set(drawn).size).toBeGreaterThanOrEqual(999);
  });
});
