// @ts-check
/**
 * @module catalog
 * Every example plugin as the runtime loads it (its JavaScript file), grouped as they run
 * together: one group per example, so the two plugins sharing a global action come as a pair.
 * Hosts' tests drive them (apps/server and worker-browser's equivalence tests).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('./src/', import.meta.url));

/** @returns {{ pluginId: string; code: string }[][]} */
export function exampleGroups() {
  return readdirSync(src, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((dir) =>
      readdirSync(join(src, dir.name))
        .filter((file) => file.endsWith('.js') && !file.endsWith('.before.js'))
        .sort()
        .map((file) => ({
          pluginId: file.slice(0, -'.js'.length),
          code: readFileSync(join(src, dir.name, file), 'utf8'),
        })),
    );
}
