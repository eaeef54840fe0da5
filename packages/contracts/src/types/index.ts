/**
 * @module types
 * Every type of the contract. This file is the single source of truth that
 * `scripts/generate.ts` turns into JSON Schemas.
 */
export type * from './json.js';
export type * from './ui.js';
export type * from './plugin.js';
export type * from './limits.js';
export type * from './error.js';
export type * from './rpc.js';
export type * from './recording.js';
