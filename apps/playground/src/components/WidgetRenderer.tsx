/**
 * @module WidgetRenderer
 * Renders a plugin's UI tree with native, labelled controls. Every plugin string becomes a text
 * node (React escapes it); no kind can carry markup, URLs or styles, and an unknown kind shows a
 * placeholder rather than anything the plugin made up.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { EventBinding, PluginEvent, UINode } from '@corral/contracts';

export type EventSender = (binding: EventBinding, event: PluginEvent) => void;

export interface WidgetRendererProps {
  tree: UINode;
  onEvent: EventSender;
}

export function WidgetRenderer({ tree, onEvent }: WidgetRendererProps) {
  return <div className="widget">{renderNode(tree, onEvent, 'root')}</div>;
}

function event(binding: EventBinding, name: PluginEvent['name'], value?: PluginEvent['value']): PluginEvent {
  return {
    name,
    ...(binding.args !== undefined ? { args: binding.args } : {}),
    ...(value !== undefined ? { value } : {}),
  };
}

function children(nodes: UINode[], send: EventSender): ReactNode[] {
  return nodes.map((child, i) =>
    renderNode(child, send, child.key !== undefined ? `k:${child.key}` : `i:${i}`),
  );
}

function renderNode(node: UINode, send: EventSender, key: string): ReactNode {
  switch (node.kind) {
    case 'panel':
      return (
        <Panel key={key} title={node.title}>
          {children(node.children, send)}
        </Panel>
      );
    case 'row':
      return (
        <div key={key} className={`ui-row gap-${node.gap ?? 'medium'}`}>
          {children(node.children, send)}
        </div>
      );
    case 'column':
      return (
        <div key={key} className={`ui-column gap-${node.gap ?? 'medium'}`}>
          {children(node.children, send)}
        </div>
      );
    case 'text':
      return (
        <span key={key} className={`ui-text tone-${node.tone ?? 'normal'}`}>
          {node.text}
        </span>
      );
    case 'heading': {
      const level = node.level ?? 1;
      const Tag = level === 1 ? 'h3' : level === 2 ? 'h4' : 'h5';
      return (
        <Tag key={key} className={`ui-heading level-${level}`}>
          {node.text}
        </Tag>
      );
    }
    case 'button':
      return (
        <button
          key={key}
          type="button"
          className={`ui-button variant-${node.variant ?? 'secondary'}`}
          disabled={node.disabled === true}
          onClick={() => send(node.onClick, event(node.onClick, 'click'))}
        >
          {node.label}
        </button>
      );
    case 'input':
      return <InputField key={key} node={node} send={send} />;
    case 'checkbox':
      return <CheckboxField key={key} node={node} send={send} />;
    case 'select':
      return <SelectField key={key} node={node} send={send} />;
    case 'list': {
      const items = node.children.map((child, i) => (
        <li key={child.key !== undefined ? `k:${child.key}` : `i:${i}`}>{renderNode(child, send, 'item')}</li>
      ));
      return node.ordered ? (
        <ol key={key} className="ui-list">
          {items}
        </ol>
      ) : (
        <ul key={key} className="ui-list">
          {items}
        </ul>
      );
    }
    case 'table':
      return (
        <div key={key} className="ui-table-wrap">
          <table className="ui-table">
            <thead>
              <tr>
                {node.columns.map((c, i) => (
                  <th key={i} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {node.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, c) => (
                    <td key={c} className={typeof cell === 'number' ? 'num' : undefined}>
                      {String(cell)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case 'badge':
      return (
        <span key={key} className={`ui-badge tone-${node.tone ?? 'normal'}`}>
          {node.text}
        </span>
      );
    case 'divider':
      return <hr key={key} className="ui-divider" />;
    default: {
      const kind = String((node as { kind?: unknown }).kind);
      return (
        <span key={key} className="ui-unknown" role="note">
          Unsupported node kind: {kind}
        </span>
      );
    }
  }
}

function Panel({ title, children: body }: { title: string | undefined; children: ReactNode }) {
  const id = useId();
  return (
    <div className="ui-panel" role="group" aria-labelledby={title !== undefined ? id : undefined}>
      {title !== undefined && (
        <div className="ui-panel-title" id={id}>
          {title}
        </div>
      )}
      <div className="ui-panel-body">{body}</div>
    </div>
  );
}

/**
 * The plugin owns the value, but its answer arrives a round trip later: the field shows what
 * the user typed until the plugin's echo of the latest edit comes back, and ignores older echoes.
 */
function usePluginOwned<T>(value: T): [T, (v: T) => void] {
  const [local, setLocal] = useState(value);
  const sent = useRef<T[]>([]);
  useEffect(() => {
    const i = sent.current.indexOf(value);
    if (i >= 0 && i < sent.current.length - 1) {
      sent.current = sent.current.slice(i + 1);
      return;
    }
    sent.current = [];
    setLocal(value);
  }, [value]);
  return [
    local,
    (v: T) => {
      sent.current.push(v);
      setLocal(v);
    },
  ];
}

function InputField({ node, send }: { node: Extract<UINode, { kind: 'input' }>; send: EventSender }) {
  const id = useId();
  const [value, setValue] = usePluginOwned(String(node.value));
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' && node.onSubmit) {
      e.preventDefault();
      send(node.onSubmit, event(node.onSubmit, 'submit', asValue(value)));
    }
  };
  const asValue = (v: string) =>
    node.inputType === 'number' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  return (
    <span className="ui-field">
      {node.label !== undefined && <label htmlFor={id}>{node.label}</label>}
      <input
        id={id}
        type={node.inputType === 'number' ? 'number' : 'text'}
        value={value}
        placeholder={node.placeholder}
        aria-label={node.label === undefined ? (node.placeholder ?? 'Input') : undefined}
        onChange={(e) => {
          setValue(e.target.value);
          if (node.onChange) send(node.onChange, event(node.onChange, 'change', asValue(e.target.value)));
        }}
        onKeyDown={onKeyDown}
      />
    </span>
  );
}

function CheckboxField({ node, send }: { node: Extract<UINode, { kind: 'checkbox' }>; send: EventSender }) {
  const id = useId();
  const [checked, setChecked] = usePluginOwned(node.checked);
  return (
    <span className="ui-field ui-checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-label={node.label === undefined ? 'Checkbox' : undefined}
        onChange={(e) => {
          setChecked(e.target.checked);
          if (node.onChange) send(node.onChange, event(node.onChange, 'change', e.target.checked));
        }}
      />
      {node.label !== undefined && <label htmlFor={id}>{node.label}</label>}
    </span>
  );
}

function SelectField({ node, send }: { node: Extract<UINode, { kind: 'select' }>; send: EventSender }) {
  const id = useId();
  const [value, setValue] = usePluginOwned(node.value);
  return (
    <span className="ui-field">
      {node.label !== undefined && <label htmlFor={id}>{node.label}</label>}
      <select
        id={id}
        value={value}
        aria-label={node.label === undefined ? 'Choice' : undefined}
        onChange={(e) => {
          setValue(e.target.value);
          if (node.onChange) send(node.onChange, event(node.onChange, 'change', e.target.value));
        }}
      >
        {node.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </span>
  );
}
