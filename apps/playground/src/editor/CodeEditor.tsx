/**
 * @module CodeEditor
 * CodeMirror 6 behind a small interface (value, onChange, errors at line/column, theme), so the
 * app can lazy-load it or swap it. Injected styles carry the page's CSP nonce.
 */
import { useEffect, useRef } from 'react';
import { EditorView, basicSetup } from 'codemirror';
import { Compartment, EditorState } from '@codemirror/state';
import { hoverTooltip } from '@codemirror/view';
import { javascript } from '@codemirror/lang-javascript';
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { oneDark } from '@codemirror/theme-one-dark';
import { PLUGIN_API, lookup } from './pluginApi.js';

export interface EditorError {
  line: number;
  column: number;
  message: string;
}

export interface CodeEditorProps {
  value: string;
  onChange(value: string): void;
  errors: EditorError[];
  dark: boolean;
  /** The page's CSP nonce for the `<style>` elements CodeMirror injects. */
  nonce: string | null;
  label: string;
}

function complete(context: CompletionContext): CompletionResult | null {
  const member = context.matchBefore(/ctx\.\w*/);
  if (member) {
    return {
      from: member.from + 4,
      options: PLUGIN_API.filter((e) => e.scope === 'ctx').map((e) => ({
        label: e.name,
        type: e.signature.includes('(') ? 'method' : 'property',
        detail: e.signature,
        info: e.doc,
      })),
    };
  }
  const kind = context.matchBefore(/kind:\s*["']\w*/);
  if (kind) {
    const quote = kind.text.search(/["']/);
    return {
      from: kind.from + quote + 1,
      options: PLUGIN_API.filter((e) => e.scope === 'kind').map((e) => ({
        label: e.name,
        type: 'enum',
        detail: 'UINode',
        info: `${e.doc} ${e.signature}`,
      })),
    };
  }
  const word = context.matchBefore(/\w+/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  return {
    from: word.from,
    options: PLUGIN_API.filter((e) => e.scope === 'global').map((e) => ({
      label: e.name,
      type: 'function',
      detail: e.signature,
      info: e.doc,
    })),
  };
}

const hover = hoverTooltip((view, pos) => {
  const line = view.state.doc.lineAt(pos);
  const text = line.text;
  let from = pos - line.from;
  let to = from;
  while (from > 0 && /[\w$]/.test(text[from - 1]!)) from--;
  while (to < text.length && /[\w$]/.test(text[to]!)) to++;
  if (from === to) return null;
  const entry = lookup(text.slice(from, to));
  if (!entry) return null;
  return {
    pos: line.from + from,
    end: line.from + to,
    above: true,
    create() {
      const dom = document.createElement('div');
      dom.className = 'cm-api-hover';
      const sig = document.createElement('code');
      sig.textContent = entry.scope === 'kind' ? `kind: "${entry.name}"` : entry.signature;
      const doc = document.createElement('div');
      doc.textContent = entry.doc;
      dom.append(sig, doc);
      return { dom };
    },
  };
});

function toDiagnostics(state: EditorState, errors: EditorError[]): Diagnostic[] {
  return errors.map((e) => {
    const line = state.doc.line(Math.min(Math.max(1, e.line), state.doc.lines));
    const from = Math.min(line.from + Math.max(0, e.column - 1), line.to);
    return { from, to: Math.max(from, line.to), severity: 'error', message: e.message };
  });
}

export default function CodeEditor({ value, onChange, errors, dark, nonce, label }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const theme = useRef(new Compartment());
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          ...(nonce ? [EditorView.cspNonce.of(nonce)] : []),
          basicSetup,
          // No indentWithTab: Tab must keep moving focus, so a keyboard user is never trapped here.
          javascript(),
          autocompletion({ override: [complete] }),
          hover,
          lintGutter(),
          theme.current.of(dark ? oneDark : []),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The view is created once per mount; later props are applied by the effects below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: theme.current.reconfigure(dark ? oneDark : []) });
  }, [dark]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, errors)));
  }, [errors]);

  return <div className="code-editor" ref={host} />;
}
