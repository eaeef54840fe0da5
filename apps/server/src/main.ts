/**
 * @module main
 * `npm start`: read the configuration from the environment, listen, boot the workers, print
 * the URL. A bad setting or a port that cannot be had is one line on stderr and exit 1.
 * SIGTERM or SIGINT stops accepting, drains in-flight requests, closes the workers and exits 0.
 * stdout carries only the JSON log lines.
 */
import { createServer } from './createServer.js';
import { parseConfig } from './config.js';

const parsed = parseConfig();
for (const warning of parsed.warnings) console.error(`corral: warning: ${warning}`);
if (!parsed.ok) {
  for (const error of parsed.errors) console.error(`corral: ${error}`);
  process.exit(1);
}

const server = createServer(parsed.config);
let url: string;
try {
  ({ url } = await server.start());
} catch (error) {
  console.error(`corral: ${(error as Error).message}`);
  process.exit(1);
}
console.error(`Corral server listening on ${url}  (open it in a browser, or: curl ${url}/readyz)`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('corral: shutdown failed', error);
        process.exit(1);
      },
    );
  });
}
