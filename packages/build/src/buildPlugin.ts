/**
 * @module buildPlugin
 * A plugin's entry (.ts, .tsx, .js, .jsx) and everything it imports, bundled by esbuild into
 * one classic script: what `loadPlugin` takes. Compiling happens here, on the host; the VM only
 * ever sees the bundled JavaScript. What cannot run inside a plugin is refused with a message
 * naming the file, the line and what to do instead: Node built-ins (there is no Node in the
 * VM), and dynamic `import()` (a plugin is one script, and its calls are synchronous).
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export interface BuildPluginOptions {
  /** Minify the output (default false: readable stack traces with the bundle's line numbers). */
  minify?: boolean;
  /** Language level of the output (default es2022, which both QuickJS variants run). */
  target?: string;
}

/** One problem, located in the plugin's sources. */
export interface BuildMessage {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface BuiltPlugin {
  /** The script to pass as `code` to `loadPlugin`. */
  code: string;
  /** Its size in UTF-8 bytes (what `maxCodeBytes` limits). */
  bytes: number;
  /** Every source file that went into it, relative to the working directory. */
  inputs: string[];
  warnings: BuildMessage[];
}

/** A build that failed; `messages` locate each problem. */
export class PluginBuildError extends Error {
  readonly code = 'BUILD_FAILED';
  constructor(readonly messages: BuildMessage[]) {
    super(messages.map(formatBuildMessage).join('\n'));
    this.name = 'PluginBuildError';
  }
}

/** `file:line:column: text`, as editors and terminals link it. */
export function formatBuildMessage(m: BuildMessage): string {
  const where = m.file ? `${m.file}${m.line ? `:${m.line}:${(m.column ?? 0) + 1}` : ''}: ` : '';
  return `${where}${m.text}`;
}

const BUILTINS = new Set(builtinModules);
const isBuiltin = (path: string): boolean => path.startsWith('node:') || BUILTINS.has(path.split('/')[0]!);

const JSX_RUNTIME = fileURLToPath(import.meta.resolve('@corral/plugin/jsx-runtime'));

const pluginRules: esbuild.Plugin = {
  name: 'corral-plugin-rules',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'dynamic-import') {
        return {
          errors: [
            {
              text: `import('${args.path}') cannot be bundled into a plugin: a plugin is one script and its calls are synchronous; use a static import`,
            },
          ],
        };
      }
      if (isBuiltin(args.path)) {
        return {
          errors: [
            {
              text: `'${args.path}' is a Node built-in; plugins run in QuickJS without Node APIs (no files, network or processes): pass data in through the plugin's state`,
            },
          ],
        };
      }
      // The JSX runtime resolves from the plugin's project when it has @corral/plugin, else ours.
      if (args.path === '@corral/plugin/jsx-runtime' || args.path === '@corral/plugin/jsx-dev-runtime') {
        return { path: JSX_RUNTIME };
      }
      return undefined;
    });
  },
};

function located(messages: esbuild.Message[]): BuildMessage[] {
  return messages.map((m) => ({
    text: m.text,
    ...(m.location ? { file: m.location.file, line: m.location.line, column: m.location.column } : {}),
  }));
}

/** Bundle the plugin at `entry` into one script. Throws PluginBuildError when it cannot. */
export async function buildPlugin(entry: string, options: BuildPluginOptions = {}): Promise<BuiltPlugin> {
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      format: 'iife',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: options.target ?? 'es2022',
      minify: options.minify ?? false,
      jsx: 'automatic',
      jsxImportSource: '@corral/plugin',
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [pluginRules],
    });
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (Array.isArray(failure.errors)) throw new PluginBuildError(located(failure.errors));
    throw error;
  }
  const code = result.outputFiles[0]!.text;
  return {
    code,
    bytes: Buffer.byteLength(code, 'utf8'),
    inputs: Object.keys(result.metafile.inputs),
    warnings: located(result.warnings),
  };
}
