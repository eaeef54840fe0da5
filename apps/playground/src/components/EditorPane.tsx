/**
 * @module EditorPane
 * The selected plugin's code in the editor. Edits re-run the plugin after a pause in typing;
 * a load error shows at its line and column.
 */
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { useAppDispatch, useAppSelector } from '../hooks.js';
import { codeEdited } from '../store/session.js';
import { loadPlugin } from '../sandbox/controller.js';
import type { EditorError } from '../editor/CodeEditor.js';

const CodeEditor = lazy(() => import('../editor/CodeEditor.js'));

export const EDIT_DEBOUNCE_MS = 500;

export function EditorPane({ nonce }: { nonce: string | null }) {
  const dispatch = useAppDispatch();
  const entry = useAppSelector((s) => s.session.plugins.find((p) => p.id === s.session.selectedId));
  const error = useAppSelector((s) => (entry ? s.runtime[entry.id]?.error : null));
  const dark = useAppSelector((s) => s.ui.theme === 'dark');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [pending, setPending] = useState(false);

  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), [entry?.id]);

  const errors = useMemo<EditorError[]>(
    () =>
      error && error.op === 'loadPlugin' && error.at
        ? [{ line: error.at.line, column: error.at.column, message: `${error.code}: ${error.message}` }]
        : [],
    [error],
  );

  if (!entry) {
    return (
      <section className="editor-pane" aria-label="Editor">
        <p className="empty">Add a plugin to edit its code.</p>
      </section>
    );
  }
  const id = entry.id;
  const onChange = (code: string) => {
    dispatch(codeEdited({ id, code }));
    setPending(true);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      setPending(false);
      void dispatch(loadPlugin(id));
    }, EDIT_DEBOUNCE_MS);
  };
  return (
    <section className="editor-pane" aria-label="Editor">
      <div className="editor-head">
        <h2>
          Code: <span className="editor-name">{entry.name}</span>
        </h2>
        <span className="editor-state" role="status" aria-live="polite">
          {pending
            ? 'Edited; re-running shortly…'
            : errors.length
              ? `Load failed at line ${errors[0]!.line}, column ${errors[0]!.column}`
              : error?.op === 'loadPlugin'
                ? `Load failed: ${error.code}`
                : 'Runs on every edit'}
        </span>
      </div>
      <Suspense fallback={<div className="code-editor loading">Loading editor…</div>}>
        <CodeEditor
          key={id}
          value={entry.code}
          onChange={onChange}
          errors={errors}
          dark={dark}
          nonce={nonce}
          label={`Code of ${entry.name}`}
        />
      </Suspense>
    </section>
  );
}
