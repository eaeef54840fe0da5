/**
 * @module @corral/contracts
 * The one contract every Corral host speaks: types (the source of truth), the JSON Schemas
 * generated from them (`@corral/contracts/schemas/*.json`), eval-free validators, the bounds
 * checks schemas cannot express, the error code table and the limit profiles.
 */
export type * from './types/index.js';
export * from './errors.js';
export * from './profiles.js';
export * from './bounds.js';
export * from './validate.js';
