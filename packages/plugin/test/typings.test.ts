/**
 * Type-checks plugin files against the typings with the TypeScript compiler, as an editor
 * would: the good ones compile clean, and each mistake a plugin author makes is the type error
 * named here, on the line that holds it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

function diagnosticsByFile(): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(fixtures, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('fixtures/tsconfig.json could not be read');
  const program = ts.createProgram(config.fileNames, config.options);
  const out = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file ? d.file.fileName.slice(fixtures.length + 1) : '<global>';
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    const text = `${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    out.set(file, [...(out.get(file) ?? []), text]);
  }
  return out;
}

describe('@corral/plugin typings', () => {
  const diagnostics = diagnosticsByFile();

  it('type-check the good plugins (JS with // @ts-check, and TS) without an error', () => {
    expect(diagnostics.get('counter.js')).toBeUndefined();
    expect(diagnostics.get('todo.ts')).toBeUndefined();
    expect(diagnostics.get('clock.tsx')).toBeUndefined();
    expect(diagnostics.get('<global>')).toBeUndefined();
    expect(diagnostics.get('../../index.d.ts')).toBeUndefined();
  });

  it('reject a node kind that is not a UINode kind, listing the allowed ones', () => {
    const [only, ...rest] = diagnostics.get('wrong-kind.js') ?? [];
    expect(rest).toEqual([]);
    expect(only).toMatch(/^5: TS2322 Type '"html"' is not assignable to type '.*"button".*'/);
    expect(only).toContain('"divider"');
  });

  it('reject a binding naming a handler the plugin does not declare', () => {
    expect(diagnostics.get('wrong-handler.js')).toEqual([
      `5: TS2322 Type '"increment"' is not assignable to type '"inc"'.`,
    ]);
  });

  it('reject a dispatch whose payload does not match the reducer', () => {
    expect(diagnostics.get('wrong-payload.js')).toEqual([
      `10: TS2345 Argument of type 'string' is not assignable to parameter of type 'number'.`,
    ]);
  });

  it('reject a JSX prop of the wrong type', () => {
    expect(diagnostics.get('wrong-jsx.tsx')).toEqual([
      expect.stringMatching(/^4: TS2322 Type 'number' is not assignable to type 'string'/),
    ]);
  });

  it('reject a dispatch of an action type no reducer handles', () => {
    expect(diagnostics.get('unknown-action.ts')).toEqual([
      expect.stringMatching(
        /^8: TS2345 Argument of type '"reset"' is not assignable to parameter of type '"add"'/,
      ),
    ]);
  });

  it('reject a reducer that returns something other than the state', () => {
    // The mismatch stops inference, so the error lands on the reducer's line (as an untyped
    // `state`), and its actions become unknown to the widget's binding.
    expect(diagnostics.get('wrong-reducer-state.ts')).toContainEqual(expect.stringMatching(/^4: TS/));
  });
});
