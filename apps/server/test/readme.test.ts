/**
 * The README's curl examples, run against live servers: every ```sh block that calls curl is
 * executed by bash with `$BASE` pointing at a real server (`$KEY` blocks go to one that
 * requires that API key). After each curl, a `# → <status> [json | /regex/]` line says what
 * must come back: the status, and a JSON object the body must contain (or a regex it matches).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverDir, startServer, type TestServer } from './helpers.js';

const readme = readFileSync(join(serverDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
  .map((m) => m[1]!)
  .filter((block) => /\bcurl\b/.test(block));

interface Expectation {
  status: number;
  json?: unknown;
  pattern?: RegExp;
}

function expectations(block: string): Expectation[] {
  return [...block.matchAll(/^# → (\d{3})(?: (.*))?$/gm)].map(([, status, rest]) => {
    const tail = rest?.trim();
    if (!tail) return { status: Number(status) };
    if (tail.startsWith('/')) return { status: Number(status), pattern: new RegExp(tail.slice(1, -1), 'm') };
    return { status: Number(status), json: JSON.parse(tail) as unknown };
  });
}

/** Run a block (asynchronously: the servers live in this process); one {status, body} per curl. */
async function runBlock(
  block: string,
  env: Record<string, string>,
): Promise<{ status: number; body: string }[]> {
  const wrapper = `curl() { command curl -sS -w '\\n@@%{http_code}@@\\n' "$@"; }\nset -eo pipefail\n`;
  const { stdout: output } = await promisify(execFile)('bash', ['-c', wrapper + block], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
  const answers: { status: number; body: string }[] = [];
  const marker = /\n?@@(\d{3})@@\n/g;
  let last = 0;
  for (let m = marker.exec(output); m; m = marker.exec(output)) {
    answers.push({ status: Number(m[1]), body: output.slice(last, m.index) });
    last = marker.lastIndex;
  }
  return answers;
}

describe('README curl examples', () => {
  let open: TestServer;
  let keyed: TestServer;
  const KEY = 'readme-demo-key';
  beforeAll(async () => {
    [open, keyed] = await Promise.all([startServer(), startServer({ CORRAL_API_KEYS: KEY })]);
  });
  afterAll(() => Promise.all([open?.close(), keyed?.close()]));

  it('has examples for every route', () => {
    const all = blocks.join('\n');
    for (const route of [
      /-X POST "\$BASE\/v1\/plugins"/,
      /-X POST "\$BASE\/v1\/plugins\/\$ID\/render"/,
      /-X POST "\$BASE\/v1\/plugins\/\$ID\/events"/,
      /-X DELETE "\$BASE\/v1\/plugins\/\$ID"/,
      /-X POST "\$BASE\/v1\/rpc"/,
      /"\$BASE\/healthz"/,
      /"\$BASE\/readyz"/,
      /"\$BASE\/metrics"/,
    ])
      expect(all).toMatch(route);
  });

  blocks.forEach((block, index) => {
    const title = block
      .split('\n')
      .find((l) => /\bcurl\b/.test(l))!
      .trim()
      .slice(0, 90);
    it(`block ${index + 1}: ${title}`, async () => {
      const server = block.includes('$KEY') ? keyed : open;
      const wanted = expectations(block);
      const answers = await runBlock(block, { BASE: server.url, KEY });
      expect(wanted.length, 'one `# →` line per curl').toBe(answers.length);
      answers.forEach((answer, i) => {
        const want = wanted[i]!;
        expect(answer.status, answer.body.slice(0, 300)).toBe(want.status);
        if (want.pattern) expect(answer.body).toMatch(want.pattern);
        if (want.json !== undefined) expect(JSON.parse(answer.body)).toMatchObject(want.json as object);
      });
    });
  });
});
