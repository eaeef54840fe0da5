/**
 * A TSX plugin with a local import is bundled into one script that the real runtime loads and
 * renders; what cannot be bundled is refused with its file, line and what to do instead.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import quickjs from '@jitl/quickjs-wasmfile-release-sync';
import { createRuntime } from '@corral/core';
import { describe, expect, it } from 'vitest';
import { buildPlugin, PluginBuildError } from '../src/index.js';

const fixture = (name: string) => join(dirname(fileURLToPath(import.meta.url)), 'fixtures', name);

async function buildError(name: string): Promise<PluginBuildError> {
  try {
    await buildPlugin(fixture(name));
  } catch (error) {
    if (error instanceof PluginBuildError) return error;
    throw error;
  }
  throw new Error('the build succeeded');
}

describe('buildPlugin', () => {
  it('bundles TSX and its imports into one script the runtime renders', async () => {
    const built = await buildPlugin(fixture('counter.tsx'));
    expect(built.code).not.toMatch(/\bimport\b|\brequire\(/);
    expect(built.bytes).toBe(Buffer.byteLength(built.code));
    expect(built.inputs.some((f) => f.endsWith('label.ts'))).toBe(true);

    const runtime = await createRuntime({ variant: quickjs });
    try {
      const meta = await runtime.loadPlugin({ pluginId: 'counter', code: built.code });
      expect(meta).toMatchObject({ title: 'Counter', reducers: ['increment'], initialState: { count: 0 } });
      const { tree } = await runtime.render({
        pluginId: 'counter',
        widgetId: 'main',
        pluginState: { count: 3 },
        globalState: null,
      });
      expect(tree).toEqual({
        kind: 'row',
        gap: 'small',
        children: [
          { kind: 'text', tone: 'muted', text: 'Count: 3' },
          { kind: 'badge', tone: 'warning', text: '3 is a lot' },
          { kind: 'button', label: '+1', onClick: { handler: 'increment' } },
          { kind: 'divider' },
        ],
      });
      const low = await runtime.render({
        pluginId: 'counter',
        widgetId: 'main',
        pluginState: { count: 0 },
        globalState: null,
      });
      expect((low.tree as { children: unknown[] }).children).toHaveLength(3);
    } finally {
      runtime.dispose();
    }
  });

  it('refuses a Node built-in, naming it, its line and the alternative', async () => {
    const error = await buildError('node-builtin.ts');
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.messages).toHaveLength(1);
    expect(error.messages[0]).toMatchObject({ line: 1, file: expect.stringMatching(/node-builtin\.ts$/) });
    expect(error.message).toMatch(
      /node-builtin\.ts:1:\d+: 'node:fs' is a Node built-in; plugins run in QuickJS without Node APIs/,
    );
  });

  it('refuses a dynamic import, at its line, saying to import statically', async () => {
    const error = await buildError('dynamic-import.ts');
    expect(error.messages[0]).toMatchObject({ line: 5 });
    expect(error.message).toMatch(
      /import\('\.\/label'\) cannot be bundled into a plugin: .*use a static import/,
    );
  });

  it('reports a syntax error with its position', async () => {
    const error = await buildError('syntax-error.ts');
    expect(error.message).toMatch(/syntax-error\.ts:1:11: Unexpected ";"/);
  });
});
