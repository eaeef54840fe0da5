/**
 * @module errors
 * How the CLI fails: every failure a person can cause is a `CliError` with a stable code, a
 * message and what to do, printed to stderr without a stack trace, and an exit code scripts can
 * branch on (see `EXIT`). Errors from the runtime (`CorralError`) and the bundler
 * (`PluginBuildError`) keep their own codes.
 */
import { CorralError, ERROR_CODES, isErrorCode } from '@corral/contracts';
import { PluginBuildError, formatBuildMessage } from '@corral/build';

/** Exit codes: 0 ok, 1 the plugin failed (build, load, validation, limits), 2 bad usage. */
export const EXIT = { ok: 0, plugin: 1, usage: 2 } as const;

export type CliErrorCode = 'USAGE' | 'FILE_NOT_FOUND' | 'BAD_JSON' | 'TARGET_NOT_EMPTY';

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    /** What the person can do about it. */
    readonly hint?: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** What a runtime error code asks of a person at a terminal, when its message does not say. */
const HINTS: Partial<Record<string, string>> = {
  LOAD_FAILED: 'fix the line named above; `corral build` first if the plugin is TypeScript or JSX',
  INVALID_PLUGIN: 'call definePlugin({ widgets: { … } }) exactly once at the top level',
  INVALID_OUTPUT: 'render must return UI nodes (see @corral/plugin for every kind and its fields)',
  CODE_TOO_LARGE: 'bundle with --minify, drop unused imports, or pick --profile generous',
  INVALID_REQUEST: 'state, global state and payloads must be JSON within the limits',
  BUILD_FAILED: 'fix the file:line:column above and build again',
  LIMIT_TIME: 'do less per call: no unbounded loops; compute in a reducer once, keep the result in state',
};

/** One error as a person reads it: `error CODE: message` and a `hint:` line. */
export function formatError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof CliError) {
    return { text: lines(error.code, error.message, error.hint), exitCode: error.exitCode };
  }
  if (error instanceof PluginBuildError) {
    const where = error.messages.map((m) => `  ${formatBuildMessage(m)}`).join('\n');
    return {
      text: lines('BUILD_FAILED', `the plugin could not be bundled:\n${where}`, HINTS.BUILD_FAILED),
      exitCode: EXIT.plugin,
    };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof CorralError || isErrorCode(code)) {
    const e = CorralError.fromUnknown(error);
    if (e.code === 'INTERNAL') {
      return { text: lines(e.code, e.message, 'this is a bug in Corral; please report it'), exitCode: 1 };
    }
    return { text: lines(e.code, e.message, HINTS[e.code] ?? ERROR_CODES[e.code].description), exitCode: 1 };
  }
  // A defect: the stack is the useful part.
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { text: lines('INTERNAL', text, 'this is a bug in the corral CLI; please report it'), exitCode: 1 };
}

function lines(code: string, message: string, hint: string | undefined): string {
  return `error ${code}: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`;
}
