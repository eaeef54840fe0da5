/**
 * @module init
 * `corral init <dir>`: a plugin project a person can build, check and test straight away: the
 * typings (@corral/plugin), one plugin in TSX, one test with @corral/testkit, and package.json
 * scripts `build`, `check` and `test`. It refuses a directory that already has files in it.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { out } from '../io.js';
import { VERSION } from '../version.js';

const PLUGIN = `/**
 * A counter. Its buttons name the reducers directly: the runtime runs \`add\` with the binding's
 * args as payload, so the plugin needs no handler of its own.
 */
interface State {
  count: number;
}

const initialState: State = { count: 0 };

definePlugin({
  title: 'Counter',
  initialState,
  reducers: {
    add: (state, by: number) => ({ count: state.count + by }),
    reset: () => initialState,
  },
  widgets: {
    main: {
      title: 'Counter',
      render: ({ pluginState }) => (
        <panel title="Counter">
          <text>Count: {pluginState.count}</text>
          <row gap="small">
            <button label="+1" variant="primary" onClick={{ handler: 'add', args: 1 }} />
            <button label="Reset" onClick={{ handler: 'reset' }} />
          </row>
        </panel>
      ),
    },
  },
});
`;

const TEST = `import { expect, test } from 'vitest';
import { createPluginHarness } from '@corral/testkit';

test('+1 counts up and Reset goes back to zero', async () => {
  await using harness = await createPluginHarness('src/plugin.tsx');
  const view = await harness.render('main');
  expect(view.texts()).toContain('Count: 0');

  const clicked = await view.get({ role: 'button', name: '+1' }).click();
  expect(clicked.state).toEqual({ count: 1 });
  expect(clicked.view.texts()).toContain('Count: 1');

  const reset = await clicked.view.get({ role: 'button', name: 'Reset' }).click();
  expect(reset.state).toEqual({ count: 0 });
});
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'ESNext.Disposable'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    moduleDetection: 'force',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    jsx: 'react-jsx',
    jsxImportSource: '@corral/plugin',
    types: ['@corral/plugin'],
  },
  include: ['src', 'test'],
};

const README = (name: string): string => `# ${name}

A Corral plugin: \`src/plugin.tsx\` is the plugin, \`test/plugin.test.ts\` its test.

- \`npm run build\`: bundles the plugin into \`dist/plugin.js\`, the script a host loads.
- \`npm run check\`: type-checks, then loads and renders it under the default limits.
- \`npm test\`: runs the tests on the real runtime (QuickJS, in-thread).
- \`npx corral dev src/plugin.tsx\`: renders the plugin in the terminal again on every save.
`;

/** An npm package name from a directory name. */
function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return name || 'corral-plugin';
}

export function initCommand(dir: string): number {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new CliError(
      'TARGET_NOT_EMPTY',
      `${dir} already has files in it`,
      'give a new or empty directory: corral init my-plugin',
    );
  }
  const name = packageName(dir);
  const range = `^${VERSION}`;
  const files: Record<string, string> = {
    'package.json': json({
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: {
        build: 'corral build src/plugin.tsx -o dist/plugin.js',
        check: 'tsc --noEmit && corral check src/plugin.tsx',
        test: 'vitest run',
      },
      devDependencies: {
        '@corral/cli': range,
        '@corral/plugin': range,
        '@corral/testkit': range,
        typescript: '~5.9.3',
        vitest: '^4.1.12',
      },
    }),
    'tsconfig.json': json(TSCONFIG),
    'src/plugin.tsx': PLUGIN,
    'test/plugin.test.ts': TEST,
    '.gitignore': 'node_modules\ndist\n',
    'README.md': README(name),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  out(`created ${name} in ${dir}: ${Object.keys(files).join(', ')}`);
  out(`next: cd ${dir} && npm install && npm run build && npm run check && npm test`);
  return 0;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
