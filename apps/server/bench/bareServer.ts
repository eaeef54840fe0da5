/**
 * @module bareServer
 * The benchmark's baseline: a bare Express 5 JSON route doing what any JSON endpoint does —
 * parse the same request body, send a JSON answer of the same size as a todo50 render — and
 * nothing else (no workers, no validation, no helmet, no logs).
 */
import express from 'express';

const size = Number(process.env.BARE_RESPONSE_BYTES ?? 6000);
const answer = { tree: { kind: 'text', text: 'x'.repeat(Math.max(0, size - 40)) }, diagnostics: [] };

const app = express();
app.use(express.json({ limit: 5 * 1024 * 1024 }));
app.post('/bare', (req, res) => {
  res.json({ ...answer, echoed: typeof req.body === 'object' });
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`bare express listening on http://127.0.0.1:${port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
