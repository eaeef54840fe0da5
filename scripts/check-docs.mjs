/**
 * @module check-docs
 * What Prettier cannot check in the repository's Markdown (it already wraps prose at 100
 * columns): that no table cell grows past a sentence or two, and that every relative link —
 * file and `#anchor` — points at something that exists. Run by `npm test`; exits 1 with one line
 * per problem.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', 'coverage', '.git', '.turbo']);
/** About two sentences: past this a cell belongs in a subsection of its own. */
const MAX_CELL = 160;

function markdownFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Lines outside fenced code blocks, with their numbers. */
function proseLines(text) {
  let fenced = false;
  return text.split('\n').flatMap((line, i) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ line, number: i + 1 }];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const { line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

const problems = [];
const anchorCache = new Map();
const anchorsOf = (path) => {
  if (!anchorCache.has(path)) anchorCache.set(path, anchors(readFileSync(path, 'utf8')));
  return anchorCache.get(path);
};

for (const file of markdownFiles(root)) {
  const text = readFileSync(file, 'utf8');
  const name = relative(root, file);
  for (const { line, number } of proseLines(text)) {
    if (line.startsWith('|'))
      for (const cell of line.replace(/\\\|/g, '').split('|').slice(1, -1))
        if (cell.trim().length > MAX_CELL)
          problems.push(
            `${name}:${number}: a table cell of ${cell.trim().length} characters (max ${MAX_CELL})`,
          );
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const [path, anchor] = target.split('#');
      const linked = path ? resolve(dirname(file), path) : file;
      if (!existsSync(linked)) problems.push(`${name}:${number}: ${target} — no such file`);
      else if (anchor && linked.endsWith('.md') && !anchorsOf(linked).has(anchor))
        problems.push(`${name}:${number}: ${target} — no such heading`);
    }
  }
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
