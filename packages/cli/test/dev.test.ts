/**
 * `corral dev` as a person uses it: start it, save the file, read the terminal. Saves are real
 * file writes and the waits real time, so each wait allows 30 s (a rebuild takes well under one
 * on an idle machine); the test ends the process as Ctrl-C would.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { start } from './run.js';

const WAIT_MS = 30_000;

const plugin = (text: string): string =>
  `import { greet } from './greet';\ndefinePlugin({ widgets: { main: { render: () => <text>{greet(${JSON.stringify(text)})}</text> } } });\n`;

it('re-renders on every save, reports a broken save and keeps watching, exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-dev-'));
  const entry = join(dir, 'plugin.tsx');
  writeFileSync(join(dir, 'greet.ts'), `export const greet = (s: string): string => 'hello ' + s;\n`);
  writeFileSync(entry, plugin('first'));

  const child = start(['dev', entry]);
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  const poke = (): void => waiters.splice(0).forEach((w) => w());
  child.stdout!.on('data', (b: Buffer) => ((stdout += b.toString()), poke()));
  child.stderr!.on('data', (b: Buffer) => ((stderr += b.toString()), poke()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  /** Waits until `stream()` holds `text` after `from`; returns where it ended. */
  async function waitFor(stream: () => string, text: string, from: number): Promise<number> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const at = stream().indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (Date.now() > deadline)
        throw new Error(`no ${JSON.stringify(text)} within ${WAIT_MS} ms:\n${stream()}\n${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }
  const out = (): string => stdout;
  const errs = (): string => stderr;

  try {
    let seen = await waitFor(out, 'text "hello first"\n', 0);
    // The plugin and what it imports (and, in this repository, the JSX runtime).
    expect(stdout).toMatch(/^\[\d\d:\d\d:\d\d\] \S+plugin\.tsx → main \(\d+ ms\)\n/);
    seen = await waitFor(out, 'files; Ctrl-C to stop\n', seen);

    writeFileSync(entry, plugin('second'));
    seen = await waitFor(out, 'text "hello second"\n', seen);
    seen = await waitFor(out, 'watching', seen);

    // A file the plugin imports is watched too.
    writeFileSync(join(dir, 'greet.ts'), `export const greet = (s: string): string => 'bye ' + s;\n`);
    seen = await waitFor(out, 'text "bye second"\n', seen);
    seen = await waitFor(out, 'watching', seen);

    writeFileSync(entry, 'definePlugin({ widgets: { main: { render: () => <text>oops</text> } } ');
    await waitFor(errs, 'error BUILD_FAILED: ', 0);
    expect(stderr).toMatch(/plugin\.tsx:1:\d+: /);
    seen = await waitFor(out, 'watching', seen);

    writeFileSync(entry, plugin('third'));
    await waitFor(out, 'text "bye third"\n', seen);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
});
