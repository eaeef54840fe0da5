/**
 * @module LogPanels
 * The dispatch log, the per-call diagnostics and the plugins' console, as tabs.
 */
import { useId, useMemo } from 'react';
import { useAppDispatch, useAppSelector } from '../hooks.js';
import { tabSet, type BottomTab } from '../store/ui.js';
import { logsCleared } from '../store/log.js';
import { ReplayPanel } from './ReplayPanel.js';

const TABS: { id: BottomTab; label: string }[] = [
  { id: 'dispatches', label: 'Dispatch log' },
  { id: 'diagnostics', label: 'Diagnostics' },
  { id: 'console', label: 'Console' },
  { id: 'replay', label: 'Replay' },
];

const time = (ms: number) => {
  const d = new Date(ms);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

const kib = (bytes: number | null) => (bytes === null ? '—' : `${(bytes / 1024).toFixed(0)} KiB`);

export function LogPanels() {
  const dispatch = useAppDispatch();
  const tab = useAppSelector((s) => s.ui.tab);
  const base = useId();
  // A string, so the panel re-renders when a plugin is added, renamed or removed, not on every
  // change of the store.
  const namesKey = useAppSelector((s) => JSON.stringify(s.session.plugins.map((p) => [p.id, p.name])));
  const names = useMemo(() => new Map(JSON.parse(namesKey) as [string, string][]), [namesKey]);
  const name = (id: string) => names.get(id) ?? id;
  const select = (id: BottomTab) => dispatch(tabSet(id));
  const onKeyDown = (e: React.KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    const t = TABS[(next + TABS.length) % TABS.length]!;
    select(t.id);
    document.getElementById(`${base}-tab-${t.id}`)?.focus();
  };
  return (
    <section className="log-panels" aria-label="Logs">
      <div className="tabs-bar">
        <div role="tablist" aria-label="Logs" onKeyDown={onKeyDown}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`${base}-tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`${base}-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => select(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <button type="button" className="quiet" onClick={() => dispatch(logsCleared())}>
          Clear logs
        </button>
      </div>
      <div
        className="tab-panel"
        role="tabpanel"
        id={`${base}-panel-${tab}`}
        aria-labelledby={`${base}-tab-${tab}`}
        tabIndex={0}
      >
        {tab === 'dispatches' && <DispatchTable name={name} />}
        {tab === 'diagnostics' && <DiagnosticsTable name={name} />}
        {tab === 'console' && <ConsoleList name={name} />}
        {tab === 'replay' && <ReplayPanel name={name} />}
      </div>
    </section>
  );
}

function DispatchTable({ name }: { name: (id: string) => string }) {
  const rows = useAppSelector((s) => s.log.dispatches);
  if (!rows.length) return <p className="empty">No dispatches yet. Click something in a widget.</p>;
  return (
    <table className="log-table" aria-label="Dispatch log">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Plugin</th>
          <th scope="col">Scope</th>
          <th scope="col">Type</th>
          <th scope="col">Payload</th>
          <th scope="col">Result</th>
          <th scope="col">Dispatch id</th>
        </tr>
      </thead>
      <tbody>
        {[...rows].reverse().map((d) => (
          <tr key={d.dispatchId} className={d.accepted ? '' : 'rejected'}>
            <td>{time(d.ts)}</td>
            <td>{name(d.pluginId)}</td>
            <td>{d.scope}</td>
            <td>
              <code>{d.type}</code>
            </td>
            <td>
              <code className="payload">{JSON.stringify(d.payload)}</code>
            </td>
            <td>{d.accepted ? 'accepted' : `rejected: ${d.reason ?? 'no reason given'}`}</td>
            <td>
              <code className="dispatch-id">{d.dispatchId}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DiagnosticsTable({ name }: { name: (id: string) => string }) {
  const rows = useAppSelector((s) => s.log.calls);
  if (!rows.length) return <p className="empty">No calls yet.</p>;
  return (
    <table className="log-table" aria-label="Diagnostics">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Plugin</th>
          <th scope="col">Host</th>
          <th scope="col">Op</th>
          <th scope="col">Placement</th>
          <th scope="col">Reason</th>
          <th scope="col">Elapsed ms</th>
          <th scope="col">Error</th>
          <th scope="col">Interrupted</th>
          <th scope="col">Memory</th>
        </tr>
      </thead>
      <tbody>
        {[...rows].reverse().map((c) => (
          <tr key={c.seq} className={c.errorCode ? 'rejected' : ''}>
            <td>{time(c.at)}</td>
            <td>{c.pluginId ? name(c.pluginId) : '—'}</td>
            <td>{c.host}</td>
            <td>{c.op}</td>
            <td>{c.placement ?? '—'}</td>
            <td>{c.placementReason ?? '—'}</td>
            <td className="num">{c.elapsedMs.toFixed(2)}</td>
            <td>{c.errorCode ? <code>{c.errorCode}</code> : 'ok'}</td>
            <td>{c.interrupted ? 'yes' : 'no'}</td>
            <td className="num">{c.memoryError ? 'over the cap' : kib(c.memoryBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ConsoleList({ name }: { name: (id: string) => string }) {
  const rows = useAppSelector((s) => s.log.console);
  if (!rows.length) return <p className="empty">No log lines yet. Plugins write here with ctx.log().</p>;
  return (
    <ol className="console" aria-label="Console">
      {[...rows].reverse().map((l) => (
        <li key={l.seq} className={`level-${l.level}`}>
          <span className="console-time">{time(l.at)}</span>
          <span className="console-plugin">{name(l.pluginId)}</span>
          <span className="console-level">{l.level}</span>
          <span className="console-message">{l.message}</span>
        </li>
      ))}
    </ol>
  );
}
