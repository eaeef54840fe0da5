/**
 * @module imports
 * Which packages a shipped file needs at run time or for its types: the specifiers of its static
 * and dynamic imports and re-exports (es-module-lexer, which reads minified JavaScript and
 * declaration files alike and skips strings, comments and regular expressions), plus the module
 * references Node and bundlers resolve by hand: `import.meta.resolve('x')`, `require.resolve('x')`
 * and `new URL('x', import.meta.url)`.
 */
import { isBuiltin } from 'node:module';
import { init, parse } from 'es-module-lexer';

const RESOLVED_BY_HAND =
  /(?:import\.meta\.resolve|require\.resolve)\(\s*(['"])([^'"]+)\1|new URL\(\s*(['"])([^'"]+)\3\s*,\s*import\.meta\.url/g;

/** Every module specifier the file names. */
export async function specifiers(text: string): Promise<string[]> {
  await init();
  const found = parse(text)[0].flatMap((i) => (typeof i.specifier === 'string' ? [i.specifier] : []));
  for (const match of text.matchAll(RESOLVED_BY_HAND)) found.push(match[2] ?? match[4]!);
  return found;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null for a path or built-in. */
export function packageOf(specifier: string): string | null {
  if (/^(\.|\/|[a-z]+:)/i.test(specifier) || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The packages the files need, each with the first file that names it. */
export async function importedPackages(files: Map<string, Uint8Array>): Promise<Map<string, string>> {
  const needed = new Map<string, string>();
  for (const [path, data] of files) {
    if (!/\.(m?js|d\.m?ts)$/.test(path)) continue;
    for (const specifier of await specifiers(new TextDecoder().decode(data))) {
      const name = packageOf(specifier);
      if (name !== null && !needed.has(name)) needed.set(name, path);
    }
  }
  return needed;
}
