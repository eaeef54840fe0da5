// `pnpm dev`: a local Corral server (apps/server, from source) on CORRAL_API_PORT (8787), and
// Vite with HMR proxying /v1 to it. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const apiPort = process.env.CORRAL_API_PORT ?? '8787';
const here = fileURLToPath(new URL('..', import.meta.url));
const children = [
  spawn(process.execPath, ['--conditions=@corral/source', '--import', 'tsx', '../server/src/main.ts'], {
    cwd: here,
    stdio: 'inherit',
    env: {
      ...process.env,
      PORT: apiPort,
      CORRAL_ALLOWED_GLOBAL_ACTIONS:
        process.env.CORRAL_ALLOWED_GLOBAL_ACTIONS ?? 'notifications/add,counter/increment',
    },
  }),
  spawn('npx', ['vite'], {
    cwd: here,
    stdio: 'inherit',
    env: { ...process.env, CORRAL_API_URL: `http://127.0.0.1:${apiPort}` },
  }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const c of children)
  c.on('exit', () => {
    stop();
    process.exitCode = c.exitCode ?? 0;
  });
