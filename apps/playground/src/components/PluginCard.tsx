/**
 * @module PluginCard
 * One plugin on the page: its name, status and host, its controls (edit, reload, stop, remove,
 * switch host), a fixed-height error line (so an error never moves the layout) and its widgets.
 */
import { useCallback, useEffect, useId } from 'react';
import type { EventBinding, PluginEvent } from '@corral/contracts';
import { useAppDispatch, useAppSelector } from '../hooks.js';
import {
  loadPlugin,
  removePlugin,
  renderPlugin,
  sendEvent,
  stopPlugin,
  switchHost,
} from '../sandbox/controller.js';
import { pluginSelected, type HostKind } from '../store/session.js';
import { WidgetRenderer } from './WidgetRenderer.js';
import { useHosts } from './HostsContext.js';

const HOST_LABEL: Record<HostKind, string> = {
  worker: 'Local (in-browser worker)',
  server: 'Server',
  auto: 'Auto (the router decides)',
};
const SIDE_LABEL: Record<string, string> = { local: 'in-browser worker', server: 'server' };

export function PluginCard({ id }: { id: string }) {
  const dispatch = useAppDispatch();
  const hosts = useHosts();
  const entry = useAppSelector((s) => s.session.plugins.find((p) => p.id === id));
  const runtime = useAppSelector((s) => s.runtime[id]);
  const selected = useAppSelector((s) => s.session.selectedId === id);
  const headingId = useId();
  const hostId = useId();
  const meta = runtime?.meta ?? null;
  const status = runtime?.status ?? 'loading';
  const busy = (runtime?.busy ?? 0) > 0;
  const decision = useAppSelector((s) => {
    for (let i = s.log.calls.length - 1; i >= 0; i--) {
      const c = s.log.calls[i]!;
      if (c.pluginId === id && c.placement && (c.op === 'render' || c.op === 'event')) return c;
    }
    return null;
  });

  const refreshKey = meta?.widgets.map((w) => `${w.id}:${w.refreshMs ?? 0}`).join(',') ?? '';
  useEffect(() => {
    if (!meta) return;
    const timers = meta.widgets
      .filter((w) => typeof w.refreshMs === 'number')
      .map((w) => setInterval(() => void dispatch(renderPlugin(id, w.id)), Math.max(250, w.refreshMs!)));
    return () => timers.forEach(clearInterval);
    // refreshKey stands for the widgets' refresh settings.
  }, [refreshKey, id, dispatch]);

  const onEvent = useCallback(
    (widgetId: string) => (binding: EventBinding, event: PluginEvent) =>
      void dispatch(sendEvent(id, widgetId, binding.handler, event)),
    [dispatch, id],
  );

  if (!entry) return null;
  const error = runtime?.error ?? null;
  return (
    <section
      className={`plugin-card status-${status}${selected ? ' selected' : ''}`}
      aria-labelledby={headingId}
    >
      <header className="card-head">
        <h2 id={headingId} className="card-title">
          {entry.name}
        </h2>
        <span
          className={`status-badge status-${status}`}
          aria-label={`Status of ${entry.name}`}
          role="status"
        >
          {status}
        </span>
        <span className="card-host">
          <label htmlFor={hostId}>Runs on</label>
          <select
            id={hostId}
            value={entry.host}
            onChange={(e) => void dispatch(switchHost(id, e.target.value as HostKind))}
          >
            {(['worker', 'server', 'auto'] as const).map((h) => (
              <option key={h} value={h} disabled={hosts.unavailable(h) !== null}>
                {HOST_LABEL[h]}
                {hosts.unavailable(h) ? ' (unavailable)' : ''}
              </option>
            ))}
          </select>
        </span>
      </header>
      <p className="card-decision" aria-label={`Where ${entry.name} ran`}>
        {decision
          ? `Last ${decision.op} ran on the ${SIDE_LABEL[decision.placement!] ?? decision.placement}: ${decision.placementReason ?? 'no reason given'}`
          : 'No call yet'}
      </p>
      <div className="card-actions" role="toolbar" aria-label={`${entry.name} actions`}>
        <button type="button" onClick={() => dispatch(pluginSelected(id))} aria-pressed={selected}>
          Edit
        </button>
        <button type="button" onClick={() => void dispatch(loadPlugin(id))}>
          Reload
        </button>
        <button type="button" onClick={() => void dispatch(stopPlugin(id))} disabled={!busy}>
          Stop
        </button>
        <button type="button" className="danger" onClick={() => void dispatch(removePlugin(id))}>
          Remove
        </button>
      </div>
      <div className="card-error" role="alert" aria-label={`Error of ${entry.name}`}>
        {error && (
          <>
            <code className="error-code">{error.code}</code>
            {error.cause && error.cause !== error.code && (
              <code className="error-code cause" title="The failure that disabled the plugin">
                {error.cause}
              </code>
            )}
            <span className="error-message" title={error.message}>
              {error.op}: {error.message}
            </span>
          </>
        )}
      </div>
      <div className={`card-body${error ? ' stale' : ''}`}>
        {meta?.widgets.map((w) => {
          const tree = runtime?.trees[w.id];
          return (
            <div key={w.id} className="widget-slot">
              {tree ? (
                <WidgetRenderer tree={tree} onEvent={onEvent(w.id)} />
              ) : (
                <span className="placeholder">{error ? 'Nothing rendered' : 'Rendering…'}</span>
              )}
            </div>
          );
        })}
        {!meta && <span className="placeholder">{status === 'loading' ? 'Loading…' : 'Not loaded'}</span>}
      </div>
    </section>
  );
}
