/**
 * @module metrics
 * Prometheus metrics (prom-client) on a registry of the server's own, so several servers in
 * one process (tests, benchmarks) never share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  loadedPlugins(): number;
  quarantinedPlugins(): number;
  inFlight(): number;
  workerRestarts(): number;
  workerQueueDepth(): number;
}

export interface ServerMetrics {
  registry: Registry;
  /** Record one contract call: its op, outcome code (`ok` or an error code) and duration. */
  call(op: string, code: string, seconds: number): void;
  /** Record one HTTP request. */
  http(method: string, route: string, status: number, seconds: number): void;
  /** Record one Content-Security-Policy violation a browser reported. */
  cspViolation(directive: string): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(sources: MetricSources): ServerMetrics {
  const registry = new Registry();
  // prom-client's names already say what they are (`process_cpu_user_seconds_total`,
  // `nodejs_heap_size_used_bytes`): the prefix is only the namespace.
  collectDefaultMetrics({ register: registry, prefix: 'corral_' });
  const calls = new Counter({
    name: 'corral_calls_total',
    help: 'Contract calls by operation and outcome code (ok, or the error code).',
    labelNames: ['op', 'code'],
    registers: [registry],
  });
  const callSeconds = new Histogram({
    name: 'corral_call_duration_seconds',
    help: 'Contract call latency inside the server (queue + worker), by operation and outcome.',
    labelNames: ['op', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'corral_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'corral_http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const cspViolations = new Counter({
    name: 'corral_csp_violations_total',
    help: 'Content-Security-Policy violations browsers reported to /csp-reports, by directive.',
    labelNames: ['directive'],
    registers: [registry],
  });
  registerSourced(registry, sources);
  // Labelled children, looked up once per label set (prom-client hashes the labels on every
  // inc/observe otherwise). Label sets are few: ops × codes, methods × routes × statuses.
  const children = new Map<string, { inc(): void; observe(seconds: number): void }>();
  const child = (key: string, make: () => { inc(): void; observe(seconds: number): void }) => {
    let found = children.get(key);
    if (!found) children.set(key, (found = make()));
    return found;
  };
  return {
    registry,
    call(op, code, seconds) {
      const outcome = code === 'ok' ? 'ok' : 'error';
      const c = child(`c\0${op}\0${code}`, () => {
        const count = calls.labels({ op, code });
        const time = callSeconds.labels({ op, outcome });
        return { inc: () => count.inc(), observe: (s) => time.observe(s) };
      });
      c.inc();
      c.observe(seconds);
    },
    http(method, route, status, seconds) {
      const c = child(`h\0${method}\0${route}\0${status}`, () => {
        const count = requests.labels({ method, route, status: String(status) });
        const time = requestSeconds.labels({ route });
        return { inc: () => count.inc(), observe: (s) => time.observe(s) };
      });
      c.inc();
      c.observe(seconds);
    },
    cspViolation(directive) {
      // Bounded label set: a directive name is a few letters and dashes, anything else is `other`.
      cspViolations.inc({ directive: /^[a-z-]{1,40}$/.test(directive) ? directive : 'other' });
    },
  };
}

/** The gauges and the restart counter, read from the server's parts at scrape time. */
function registerSourced(registry: Registry, sources: MetricSources): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('corral_plugins_loaded', 'Plugins held warm by this replica (the LRU).', sources.loadedPlugins);
  gauge(
    'corral_plugins_quarantined',
    'Plugins held in the quarantine lane (re-loaded after overrunning a limit).',
    sources.quarantinedPlugins,
  );
  gauge(
    'corral_queue_depth',
    'Contract calls in flight in this server (bounded by CORRAL_MAX_QUEUE).',
    sources.inFlight,
  );
  gauge(
    'corral_worker_queue_depth',
    'Calls sent to worker threads and not yet settled.',
    sources.workerQueueDepth,
  );
  // Restarts only ever go up: a counter, read from the sandboxes at scrape time.
  let restarts = 0;
  new Counter({
    name: 'corral_worker_restarts_total',
    help: 'Worker threads replaced since start (killed or crashed).',
    registers: [registry],
    collect() {
      const now = sources.workerRestarts();
      if (now > restarts) this.inc(now - restarts);
      restarts = Math.max(restarts, now);
    },
  });
}
