/**
 * @module App
 * The playground's layout: a toolbar (add a preset, share, export, import, theme), the plugins
 * with their widgets, the editor and the logs.
 */
import { useId, useRef, useState } from 'react';
import { useAppDispatch, useAppSelector, useAppStore } from '../hooks.js';
import { PRESETS } from '../presets/presets.js';
import { addPreset, openSession } from '../sandbox/controller.js';
import { fromDocument, toDocument } from '../store/serialize.js';
import { noticeSet, themeSet } from '../store/ui.js';
import { PluginCard } from './PluginCard.js';
import { EditorPane } from './EditorPane.js';
import { LogPanels } from './LogPanels.js';

export function App({ nonce }: { nonce: string | null }) {
  const dispatch = useAppDispatch();
  const store = useAppStore();
  const ids = useAppSelector((s) => s.session.plugins.map((p) => p.id).join('\n'));
  const theme = useAppSelector((s) => s.ui.theme);
  const notice = useAppSelector((s) => s.ui.notice);
  const global = useAppSelector((s) => s.session.global);
  const [preset, setPreset] = useState(PRESETS[0]!.id);
  const presetId = useId();
  const fileInput = useRef<HTMLInputElement>(null);

  const share = async () => {
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      dispatch(noticeSet({ tone: 'info', text: 'Link copied: it reopens this session (code and state).' }));
    } catch {
      dispatch(noticeSet({ tone: 'info', text: 'The address bar holds this session: copy it to share.' }));
    }
  };
  const exportFile = () => {
    const blob = new Blob([JSON.stringify(toDocument(store.getState().session), null, 2)], {
      type: 'application/json',
    });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'corral-session.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  const importFile = async (file: File) => {
    let parsed: ReturnType<typeof fromDocument>;
    try {
      parsed = fromDocument(JSON.parse(await file.text()));
    } catch {
      parsed = { ok: false, reason: `${file.name} is not JSON.` };
    }
    if (!parsed.ok) {
      dispatch(noticeSet({ tone: 'danger', text: `Import failed: ${parsed.reason}` }));
      return;
    }
    dispatch(noticeSet({ tone: 'info', text: `Imported ${file.name}.` }));
    await dispatch(openSession(parsed.session));
  };

  return (
    <div className="app">
      <header className="toolbar">
        <h1 className="brand">
          Corral <span>playground</span>
        </h1>
        <form
          className="add-preset"
          onSubmit={(e) => {
            e.preventDefault();
            void dispatch(addPreset(preset));
          }}
        >
          <label htmlFor={presetId}>Preset</label>
          <select id={presetId} value={preset} onChange={(e) => setPreset(e.target.value)}>
            {(['Examples', 'Hostile'] as const).map((group) => (
              <optgroup key={group} label={group}>
                {PRESETS.filter((p) => p.group === group).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.label} — {p.expect}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          <button type="submit" className="primary">
            Add plugin
          </button>
        </form>
        <span className="global-state" aria-label="Global state">
          global counter <strong>{global.counter}</strong>
        </span>
        <div className="toolbar-actions">
          <button type="button" onClick={() => void share()}>
            Share link
          </button>
          <button type="button" onClick={exportFile}>
            Export
          </button>
          <button type="button" onClick={() => fileInput.current?.click()}>
            Import…
          </button>
          <input
            ref={fileInput}
            type="file"
            accept="application/json,.json"
            hidden
            aria-label="Session file to import"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void importFile(f);
              e.target.value = '';
            }}
          />
          <button
            type="button"
            aria-pressed={theme === 'dark'}
            onClick={() => dispatch(themeSet(theme === 'dark' ? 'light' : 'dark'))}
          >
            Dark theme
          </button>
        </div>
      </header>
      <div className={`notice${notice ? ` tone-${notice.tone}` : ''}`} role="status" aria-live="polite">
        {notice?.text}
        {notice && (
          <button
            type="button"
            className="quiet"
            aria-label="Dismiss"
            onClick={() => dispatch(noticeSet(null))}
          >
            ×
          </button>
        )}
      </div>
      <main className="workspace">
        <section className="plugins" aria-label="Plugins">
          {ids ? (
            ids.split('\n').map((id) => <PluginCard key={id} id={id} />)
          ) : (
            <p className="empty">No plugins. Add a preset above.</p>
          )}
        </section>
        <div className="side">
          <EditorPane nonce={nonce} />
          <LogPanels />
        </div>
      </main>
    </div>
  );
}
