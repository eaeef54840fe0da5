/**
 * @module replicas
 * The replicas part of `pnpm bench`: throughput of N = 1, 2, 3 compiled server processes behind
 * Debian's nginx under the chaos test's load (virtual users clicking and rendering through
 * core's HTTP client), one replica alone without nginx as the floor, and the latency users see
 * while one of three replicas is SIGKILLed. Returns RESULTS.md tables; replicas.bench.ts writes them.
 */
import { loadavg } from 'node:os';
import type { ResultsTable } from '@corral/bench-kit';
import {
  debianTool,
  pluginsLoaded,
  quantile,
  runLoad,
  startNginx,
  startReplica,
  stopReplicas,
  type LoadReport,
  type Nginx,
  type Replica,
} from '../test/cluster.js';

export interface ReplicaBenchOptions {
  /** Length of the kill scenario; each throughput round is half of it. */
  seconds: number;
  /** Alternating rounds of the throughput scenarios; the medians are reported. */
  rounds: number;
  /** Virtual users (each one request at a time). */
  users: number;
}

interface Figures {
  name: string;
  actionsPerSecond: number;
  p50: number;
  p99: number;
  failed: number;
  /** The failed actions' ops and codes, e.g. `render todo50 LIMIT_TIME`. */
  failures: string[];
}

function figures(name: string, report: LoadReport, from = 0): Figures {
  const actions = report.actions.filter((a) => a.endedAt >= from);
  const ok = actions.filter((a) => a.code === undefined);
  const seconds = (report.durationMs - from) / 1000;
  return {
    name,
    actionsPerSecond: Math.round(ok.length / seconds),
    p50: Math.round(
      quantile(
        ok.map((a) => a.ms),
        0.5,
      ),
    ),
    p99: Math.round(
      quantile(
        ok.map((a) => a.ms),
        0.99,
      ),
    ),
    failed: actions.length - ok.length,
    failures: actions.filter((a) => a.code !== undefined).map((a) => `${a.op} ${a.code}`),
  };
}

function print(f: Figures): void {
  console.log(
    `${f.name.padEnd(44)} ${String(f.actionsPerSecond).padStart(6)} actions/s  p50 ${f.p50} ms  p99 ${f.p99} ms  failed ${f.failed}${f.failures.length ? ` (${[...new Set(f.failures)].join(', ')})` : ''}`,
  );
}

/** Start `n` replicas (compiled) and nginx in front of them; run `use`; stop all. */
async function withCluster<T>(
  n: number,
  nginx: string,
  use: (url: string, replicas: Replica[]) => Promise<T>,
): Promise<T> {
  const replicas = await Promise.all(Array.from({ length: n }, () => startReplica({}, 'dist')));
  try {
    const balancer = await startNginx(
      nginx,
      replicas.map((r) => r.port),
    );
    try {
      return await use(balancer.url, replicas);
    } finally {
      await balancer.stop();
    }
  } finally {
    await stopReplicas(replicas);
  }
}

/** A sentence naming what failed, if anything did. */
function failureNote(list: Figures[]): string[] {
  const counts = new Map<string, number>();
  for (const failure of list.flatMap((f) => f.failures)) counts.set(failure, (counts.get(failure) ?? 0) + 1);
  if (counts.size === 0) return [];
  const named = [...counts].map(([failure, n]) => `${n} × ${failure}`).join(', ');
  const starved = [...counts.keys()].every((failure) => failure.endsWith(' LIMIT_TIME'));
  const why = starved
    ? ' — calls starved of CPU past their 100 ms deadline by the other work on the machine'
    : '';
  return [`Failed actions: ${named}${why}.`];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const load1 = () => loadavg()[0]!.toFixed(1);

export async function measureReplicas({
  seconds,
  users,
  rounds,
}: ReplicaBenchOptions): Promise<ResultsTable[]> {
  const nginx = debianTool('nginx', 'nginx');
  if ('missing' in nginx) {
    console.log(`replicas: skipped (${nginx.missing})`);
    return [
      {
        title: 'Replicas behind nginx',
        columns: ['scenario', 'result'],
        rows: [['every scenario', 'skipped: nginx could not be installed']],
      },
    ];
  }
  const loadBefore = load1();
  // Three replicas stay up; nginx in front of the first one, the first two, all three. An idle
  // replica costs nothing, and the scenarios alternate round by round, so that a change in the
  // machine's speed during the run (other work on shared cores) reaches every one of them.
  const replicas = await Promise.all(Array.from({ length: 3 }, () => startReplica({}, 'dist')));
  const scenarios: { name: string; url: string }[] = [];
  const balancers: Nginx[] = [];
  const roundMs = Math.max(2, Math.round(seconds / 2)) * 1000;
  let scale: Figures[];
  try {
    scenarios.push({ name: '1 replica, no balancer', url: replicas[0]!.url });
    for (const n of [1, 2, 3]) {
      const balancer = await startNginx(
        nginx.path,
        replicas.slice(0, n).map((r) => r.port),
      );
      balancers.push(balancer);
      scenarios.push({ name: `${n} replica${n > 1 ? 's' : ''} behind nginx`, url: balancer.url });
    }
    for (const { url } of scenarios) await runLoad({ url, users, durationMs: 2000 }); // warm-up
    const measured = scenarios.map(() => [] as Figures[]);
    for (let round = 1; round <= rounds; round++) {
      for (const [i, { name, url }] of scenarios.entries()) {
        measured[i]!.push(
          figures(`${name}, round ${round}`, await runLoad({ url, users, durationMs: roundMs })),
        );
        print(measured[i]!.at(-1)!);
      }
    }
    scale = scenarios.map(({ name }, i): Figures => {
      const runs = measured[i]!;
      return {
        name,
        actionsPerSecond: median(runs.map((f) => f.actionsPerSecond)),
        p50: median(runs.map((f) => f.p50)),
        p99: median(runs.map((f) => f.p99)),
        failed: runs.reduce((sum, f) => sum + f.failed, 0),
        failures: runs.flatMap((f) => f.failures),
      };
    });
  } finally {
    for (const balancer of balancers) await balancer.stop();
    await stopReplicas(replicas);
  }

  // The kill: a third of the way in, the replica holding the most plugins gets SIGKILL.
  const durationMs = seconds * 1000;
  const killAtMs = Math.round(durationMs / 3);
  const kill = await withCluster(3, nginx.path, async (url, replicas) => {
    await runLoad({ url, users, durationMs: 2000 });
    return runLoad({
      url,
      users,
      durationMs,
      during: {
        atMs: killAtMs,
        async run() {
          const held = await Promise.all(replicas.map(pluginsLoaded));
          replicas[held.indexOf(Math.max(...held))]!.child.kill('SIGKILL');
        },
      },
    });
  });
  const window = kill.actions.filter((a) => a.endedAt >= killAtMs && a.endedAt < killAtMs + 2000);
  const whole = figures('3 replicas, one SIGKILLed, whole run', kill);
  const before = figures('↳ before the kill', {
    ...kill,
    durationMs: killAtMs,
    actions: kill.actions.filter((a) => a.endedAt < killAtMs),
  });
  const around = figures(
    '↳ the 2 s after the kill',
    { ...kill, durationMs: killAtMs + 2000, actions: window },
    killAtMs,
  );
  const survivors = figures('↳ after those 2 s (2 replicas)', kill, killAtMs + 2000);
  for (const f of [whole, before, around, survivors]) print(f);
  const worst = Math.round(Math.max(...window.map((a) => a.ms), 0));

  const [alone, ...behind] = scale;
  const row = (f: Figures, extra: string) => [
    f.name,
    String(f.actionsPerSecond),
    extra,
    String(f.p50),
    String(f.p99),
    String(f.failed),
  ];
  const one = behind[0]!.actionsPerSecond;
  const loadAfter = load1();
  const roundSeconds = roundMs / 1000;
  return [
    {
      title: 'Replicas behind nginx: throughput',
      columns: ['replicas', 'actions/s', '× 1 replica', 'p50 ms', 'p99 ms', 'failed'],
      rows: [row(alone!, 'floor'), ...behind.map((f) => row(f, `${(f.actionsPerSecond / one).toFixed(2)}×`))],
      notes: [
        `${users} virtual users, each one action at a time through \`createHttpSandbox\`: click a counter ` +
          '(an event), render it, and every other turn render todo50; ' +
          `medians of ${rounds} alternating rounds of ${roundSeconds} s after a 2 s warm-up. Each ` +
          'replica is `node dist/main.js` with one worker thread and no quarantine lane; nginx hashes ' +
          "on `x-corral-plugin`. Replicas, nginx and the load generator share the machine's cores, " +
          'so past the core count the curve is flat.',
        `The machine's load average (1 min) was ${loadBefore} when this part began and ${loadAfter} ` +
          'when it ended: figures taken while other work used the cores vary from run to run.',
        ...failureNote(scale),
      ],
    },
    {
      title: 'Replicas behind nginx: one of three SIGKILLed',
      columns: ['window', 'actions/s', 'p50 ms', 'p99 ms', 'failed'],
      rows: [whole, before, around, survivors].map((f) => [
        f.name,
        String(f.actionsPerSecond),
        String(f.p50),
        String(f.p99),
        String(f.failed),
      ]),
      notes: [
        `The kill lands ${(killAtMs / 1000).toFixed(1)} s into the run, on the replica holding the most plugins; ` +
          `the slowest action in the 2 s after it took ${worst} ms (its calls were re-sent, and its plugins ` +
          're-loaded by hash on the survivors).',
        ...failureNote([whole]),
      ],
    },
  ];
}
