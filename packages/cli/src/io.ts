/**
 * @module io
 * Where the CLI writes: results to stdout, progress, plugin logs and errors to stderr, so a
 * command's stdout can be piped (`corral render x.js --json | jq`).
 */
import type { LogDiagnostic } from '@corral/contracts';

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A plugin's log lines, as `log <level>: message`, on stderr. */
export function printLogs(diagnostics: readonly { kind: string }[]): void {
  for (const d of diagnostics) {
    if (d.kind === 'log') err(`log ${(d as LogDiagnostic).level}: ${(d as LogDiagnostic).message}`);
  }
}

/** 1234 → "1.2 KiB", for people; the JSON output keeps bytes. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
