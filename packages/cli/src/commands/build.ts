/**
 * @module build
 * `corral build plugin.tsx [-o out.js]`: bundle a plugin with @corral/build into the one script
 * a host loads. Without `-o` the script goes to stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildPlugin, formatBuildMessage } from '@corral/build';
import { err, out, size } from '../io.js';
import { requireFile } from '../session.js';

export interface BuildOptions {
  out?: string;
  minify?: boolean;
}

export async function buildCommand(file: string, options: BuildOptions): Promise<number> {
  requireFile(file);
  const started = performance.now();
  const built = await buildPlugin(file, { minify: options.minify ?? false });
  for (const w of built.warnings) err(`warning: ${formatBuildMessage(w)}`);
  if (options.out === undefined) {
    process.stdout.write(built.code);
    return 0;
  }
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, built.code);
  const ms = Math.round(performance.now() - started);
  const files = built.inputs.length === 1 ? '1 file' : `${built.inputs.length} files`;
  out(`built ${options.out} (${size(built.bytes)} from ${files}) in ${ms} ms`);
  return 0;
}
