/**
 * @module generate
 * TypeScript types → JSON Schemas (typescript-json-schema) → standalone ajv validators.
 * Both outputs are committed: the schemas are the published contract, and the validators are
 * plain code so nothing is compiled with `new Function` at run time (browsers under a CSP
 * without 'unsafe-eval' can use them). `--check` fails when regenerating would change a file.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as TJS from 'typescript-json-schema';
import AjvModule from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { format, resolveConfig } from 'prettier';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

import { ROOT_TYPES } from './root-types.js';

/** Discriminator property of each union that should validate by tag (readable errors). */
const DISCRIMINATORS = ['kind', 'op', 'notification'];

type Schema = Record<string, unknown>;

// ajv is CommonJS: under Node's ESM loader the class sits on `.default` of the default import.
const interop = <T>(m: T): T => (m as { default?: T }).default ?? m;
const Ajv = interop(AjvModule);
const standaloneCode = interop(standaloneModule);

function generateSchemas(): { perType: Map<string, Schema>; bundle: Schema } {
  const program = TJS.getProgramFromFiles(
    [join(root, 'src/types/index.ts')],
    { strict: true, strictNullChecks: true, skipLibCheck: true },
    root,
  );
  const generator = TJS.buildGenerator(program, {
    required: true,
    noExtraProps: true,
    strictNullChecks: true,
    ref: true,
    aliasRef: true,
    topRef: false,
    titles: false,
    defaultNumberType: 'number',
    constAsEnum: false,
    uniqueNames: false,
  });
  if (!generator) throw new Error('typescript-json-schema could not read the types');
  const out = new Map<string, Schema>();
  for (const name of ROOT_TYPES) {
    const schema = generator.getSchemaForSymbol(name, true, true) as Schema;
    const definitions = (schema.definitions ?? {}) as Record<string, Schema>;
    useDiscriminators(schema, definitions);
    for (const def of Object.values(definitions)) useDiscriminators(def, definitions);
    out.set(name, withId(name, schema));
  }
  const bundle = generator.getSchemaForSymbols([...ROOT_TYPES], true, true) as Schema;
  const definitions = (bundle.definitions ?? {}) as Record<string, Schema>;
  for (const def of Object.values(definitions)) useDiscriminators(def, definitions);
  return { perType: out, bundle: withId(BUNDLE, bundle) };
}

const BUNDLE = 'corral';

function withId(name: string, schema: Schema): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://corral.dev/schemas/${name}.json`,
    ...withoutKeys(schema, ['$schema']),
  };
}

/**
 * Rewrite `anyOf` unions whose members all carry one constant tag into ajv's `discriminator`
 * form, so an invalid node reports the fields of its own kind instead of 13 alternatives.
 */
function useDiscriminators(node: unknown, definitions: Record<string, Schema>): void {
  if (Array.isArray(node)) {
    for (const item of node) useDiscriminators(item, definitions);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Schema;
  for (const value of Object.values(schema)) useDiscriminators(value, definitions);
  const members = schema.anyOf;
  if (!Array.isArray(members)) return;
  const resolved = members.map((m: Schema) =>
    typeof m.$ref === 'string' ? definitions[m.$ref.replace('#/definitions/', '')] : m,
  );
  for (const tag of DISCRIMINATORS) {
    const allTagged = resolved.every((m) => {
      const prop = (m?.properties as Record<string, Schema> | undefined)?.[tag];
      return (
        prop !== undefined &&
        (typeof prop.const === 'string' || (Array.isArray(prop.enum) && prop.enum.length === 1))
      );
    });
    if (!allTagged) continue;
    delete schema.anyOf;
    schema.type = 'object';
    schema.discriminator = { propertyName: tag };
    schema.required = [tag];
    schema.oneOf = members;
    return;
  }
}

function withoutKeys(schema: Schema, keys: string[]): Schema {
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !keys.includes(k)));
}

/**
 * One module for all validators, compiled from the bundle so shared definitions (UINode,
 * JSONValue) are emitted once. ajv's esm output still `require`s its runtime helper for
 * string length; it is inlined so the module has no dependencies and runs in any host.
 */
async function generateValidators(bundle: Schema): Promise<string> {
  const ajv = new Ajv({
    code: { source: true, esm: true, lines: true },
    allErrors: false,
    // Errors carry the offending value and its schema object, so validate.ts can name the value
    // and list the allowed properties; only failing paths pay for it.
    verbose: true,
    discriminator: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allowUnionTypes: true,
  });
  ajv.addSchema(shapeOnly(bundle));
  const exportsMap: Record<string, string> = {};
  for (const name of ROOT_TYPES)
    exportsMap[`validate${name}`] = `${bundle.$id as string}#/definitions/${name}`;
  const code = standaloneCode(ajv, exportsMap).replace(
    /require\((['"])ajv\/dist\/runtime\/ucs2length\1\)\.default/g,
    UCS2LENGTH,
  );
  if (/\brequire\(/.test(code)) throw new Error('standalone validators still require() something');
  return `// @ts-nocheck\n/* eslint-disable */\n// Generated by scripts/generate.ts from schemas/*.json. Do not edit.\n${code}`;
}

/**
 * The bundle as the compiled validators see it: positions typed JSONValue accept any value,
 * JSONObject any object and JSONArray any array. Every validator in validate.ts first runs the
 * iterative `checkJsonBounds` (or is handed text just parsed by JSON.parse), which already
 * proves the value is plain JSON within bounds, so ajv checks shape only and does not walk
 * states and arguments a second time — in a union (anyOf) that walk built and discarded error
 * objects at every level, most of the cost of validating a UI tree. The published schemas keep
 * the full definitions.
 */
function shapeOnly(bundle: Schema): Schema {
  const definitions = { ...(bundle.definitions as Record<string, Schema>) };
  const keep = (name: string, shape: Schema): void => {
    const description = definitions[name]?.description;
    definitions[name] = description === undefined ? shape : { description, ...shape };
  };
  keep('JSONValue', {});
  keep('JSONObject', { type: 'object' });
  keep('JSONArray', { type: 'array' });
  return { ...bundle, definitions };
}

function declarations(): string {
  const lines = ROOT_TYPES.map((name) => `export declare const validate${name}: GeneratedValidator;`);
  return [
    '// Generated by scripts/generate.ts. Do not edit. validate.ts narrows each to a typed Validator.',
    'type GeneratedValidator = ((value: unknown) => boolean) & { errors?: unknown[] | null };',
    ...lines,
    '',
  ].join('\n');
}

/** Length in code points, as JSON Schema counts it (what ajv's runtime helper does). */
const UCS2LENGTH = `function ucs2length(str) {
  let length = 0;
  for (let pos = 0; pos < str.length; length++) {
    const c = str.charCodeAt(pos++);
    if (c >= 0xd800 && c <= 0xdbff && pos < str.length) {
      const next = str.charCodeAt(pos);
      if ((next & 0xfc00) === 0xdc00) pos++;
    }
  }
  return length;
}`;

async function main(): Promise<void> {
  const { perType, bundle } = generateSchemas();
  const files = new Map<string, string>();
  for (const [name, schema] of [...perType, [BUNDLE, bundle] as const]) {
    files.set(join(root, 'schemas', `${name}.json`), JSON.stringify(schema, null, 2) + '\n');
  }
  const prettierOptions = (await resolveConfig(join(root, 'src/index.ts'))) ?? {};
  const validators = await format(await generateValidators(bundle), { ...prettierOptions, parser: 'babel' });
  files.set(join(root, 'src/generated/validators.js'), validators);
  files.set(join(root, 'src/generated/validators.d.ts'), declarations());

  const stale: string[] = [];
  for (const [path, text] of files) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === text) continue;
    stale.push(path);
    if (!check) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  const expected = new Set(
    [...files.keys()].filter((p) => p.endsWith('.json')).map((p) => p.split('/').pop()),
  );
  const extra = readdirSync(join(root, 'schemas')).filter((f) => !expected.has(f));
  if (check && (stale.length > 0 || extra.length > 0)) {
    console.error(
      `Generated files are out of date; run \`pnpm generate\`:\n${[...stale, ...extra].join('\n')}`,
    );
    process.exit(1);
  }
  console.log(check ? 'generated files are up to date' : `wrote ${stale.length} file(s)`);
}

await main();
