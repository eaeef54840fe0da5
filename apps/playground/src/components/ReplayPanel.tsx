/**
 * @module ReplayPanel
 * The session recorder's calls, one at a time: step through them (buttons or the arrow keys), jump
 * to the event that stamped a dispatch, see the plugin and global state the call was given and
 * what came back. Exports the whole recording or one call (`extractCall`) as JSON, and replays an
 * imported file against a chosen host (`replaySession`), showing the report.
 */
import { useMemo, useState } from 'react';
import type { SessionRecording } from '@corral/contracts';
import { extractCall, readSessionRecording, replaySession, type ReplayReport } from '@corral/core';
import { useAppSelector } from '../hooks.js';
import { useHosts } from './HostsContext.js';
import type { SideKind } from '../sandbox/hosts.js';
import { toRuntimeError } from '../sandbox/controller.js';

function download(name: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

export function ReplayPanel({ name }: { name: (id: string) => string }) {
  const hosts = useHosts();
  // Every recorded call also logs a diagnostic: the newest one says when to read it again.
  const lastCall = useAppSelector((s) => s.log.calls.at(-1)?.seq ?? -1);
  const lastDispatch = useAppSelector((s) => s.log.dispatches.at(-1)?.dispatchId ?? '');
  const recording: SessionRecording = useMemo(
    () => hosts.recorder.recording(),
    // lastCall and lastDispatch stand for "the recording grew".
    [hosts, lastCall, lastDispatch],
  );
  const total = recording.calls.length;
  const [picked, setPicked] = useState<number | null>(null);
  const index = total === 0 ? -1 : Math.min(picked ?? total - 1, total - 1);
  const call = index >= 0 ? recording.calls[index]! : null;
  const go = (i: number) => setPicked(Math.max(0, Math.min(total - 1, i)));
  const stamps = recording.calls.flatMap((c, i) =>
    c.op === 'event' && c.dispatches
      ? c.dispatches.map((d) => ({ i, id: d.meta.dispatchId, type: d.type }))
      : [],
  );

  const [side, setSide] = useState<SideKind>(hosts.side('worker') ? 'worker' : 'server');
  const [report, setReport] = useState<ReplayReport | null>(null);
  const [replayError, setReplayError] = useState<string | null>(null);
  const [replaying, setReplaying] = useState(false);
  const onImport = async (file: File | undefined) => {
    if (!file) return;
    setReport(null);
    setReplayError(null);
    const client = hosts.side(side);
    if (!client) return setReplayError(hosts.unavailable(side) ?? `No ${side} host on this page.`);
    setReplaying(true);
    try {
      const doc: unknown = JSON.parse(await file.text());
      await readSessionRecording(doc);
      setReport(await replaySession(doc, client));
    } catch (error) {
      const e =
        error instanceof SyntaxError
          ? { code: 'INVALID_REQUEST', message: 'The file is not JSON.' }
          : toRuntimeError(error);
      setReplayError(`${e.code}: ${e.message}`);
    } finally {
      setReplaying(false);
    }
  };

  return (
    <div
      className="replay"
      onKeyDown={(e) => {
        if (e.target instanceof HTMLSelectElement || e.target instanceof HTMLInputElement) return;
        if (e.key === 'ArrowLeft') go(index - 1);
        else if (e.key === 'ArrowRight') go(index + 1);
        else return;
        e.preventDefault();
      }}
    >
      <div className="replay-bar" role="toolbar" aria-label="Replay">
        <button type="button" onClick={() => go(index - 1)} disabled={index <= 0}>
          Previous
        </button>
        <span role="status" aria-label="Replay position">
          {total === 0 ? 'No calls recorded' : `Call ${index + 1} of ${total}`}
        </span>
        <button type="button" onClick={() => go(index + 1)} disabled={index >= total - 1}>
          Next
        </button>
        <button
          type="button"
          onClick={() => go(recording.calls.findLastIndex((c) => c.error !== undefined))}
          disabled={!recording.calls.some((c) => c.error !== undefined)}
        >
          Latest failure
        </button>
        <label>
          Jump to dispatch{' '}
          <select
            value=""
            onChange={(e) => e.target.value !== '' && go(Number(e.target.value))}
            disabled={!stamps.length}
          >
            <option value="">—</option>
            {stamps.map((s) => (
              <option key={s.id} value={s.i}>
                {s.type} ({s.id})
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => download('corral-recording.json', recording)} disabled={!total}>
          Export recording
        </button>
        <button
          type="button"
          onClick={() => call && download(`corral-call-${index + 1}.json`, extractCall(recording, index))}
          disabled={!call}
        >
          Export this call
        </button>
      </div>
      {call && (
        <div className="replay-call" aria-label="Recorded call">
          <p>
            <strong>{call.op}</strong> of {name(call.params.pluginId)}
            {call.op === 'event'
              ? ` (${call.params.handler} on ${call.params.widgetId})`
              : ` (${call.params.widgetId})`}
            {call.placement ? ` on ${call.placement}` : ''}
            {call.error ? (
              <>
                {' '}
                failed: <code className="error-code">{call.error.code}</code> {call.error.message}
              </>
            ) : (
              ' succeeded'
            )}
          </p>
          <div className="replay-states">
            <figure>
              <figcaption>Plugin state before</figcaption>
              <pre aria-label="Plugin state before">{json(call.params.pluginState)}</pre>
            </figure>
            <figure>
              <figcaption>Global state before</figcaption>
              <pre aria-label="Global state before">{json(call.params.globalState)}</pre>
            </figure>
            <figure>
              <figcaption>{call.op === 'event' ? 'Plugin state after' : 'Tree after'}</figcaption>
              <pre aria-label="After">
                {call.error ? '—' : json(call.op === 'event' ? call.pluginState : call.tree)}
              </pre>
            </figure>
          </div>
        </div>
      )}
      <div className="replay-import">
        <label>
          Replay on{' '}
          <select value={side} onChange={(e) => setSide(e.target.value as SideKind)}>
            <option value="worker" disabled={!hosts.side('worker')}>
              In-browser worker
            </option>
            <option value="server" disabled={!hosts.side('server')}>
              Server
            </option>
          </select>
        </label>
        <label>
          Import a replay file{' '}
          <input
            type="file"
            accept="application/json,.json"
            disabled={replaying}
            onChange={(e) => {
              void onImport(e.target.files?.[0]);
              e.target.value = '';
            }}
          />
        </label>
        <p role="status" aria-label="Replay report">
          {replaying
            ? 'Replaying…'
            : replayError
              ? `The file could not be replayed: ${replayError}`
              : report
                ? `Replayed ${report.calls} call${report.calls === 1 ? '' : 's'}: ${report.mismatches.length} mismatch${report.mismatches.length === 1 ? '' : 'es'}`
                : ''}
        </p>
        {report && report.mismatches.length > 0 && (
          <ul aria-label="Mismatches">
            {report.mismatches.map((m) => (
              <li key={m.index}>
                Call {m.index + 1} ({m.op} of {m.pluginId}): {m.fields.join(', ')} differ
                {m.recordedError ? `; recorded ${m.recordedError}` : ''}
                {m.replayError ? `; replay ${m.replayError}` : ''}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
