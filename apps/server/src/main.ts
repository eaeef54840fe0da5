/**
 * @module main
 * `pnpm start`: read the configuration from the environment, boot the workers, listen, print
 * the URL. SIGTERM or SIGINT stops accepting, drains in-flight requests, closes the workers and
 * exits 0.
 */
import { createServer } from './createServer.js';
import { loadConfig, type ServerConfig } from './config.js';

let config: ServerConfig;
try {
  config = loadConfig();
} catch (error) {
  console.error(`corral: ${(error as Error).message}`);
  process.exit(1);
}

const server = createServer(config);
const { url } = await server.start();
console.log(`Corral server listening on ${url}  (try: curl ${url}/readyz)`);

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
