/**
 * @module version
 * The CLI's version, read from its package.json (the same file from src/ and from dist/).
 */
import { readFileSync } from 'node:fs';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
