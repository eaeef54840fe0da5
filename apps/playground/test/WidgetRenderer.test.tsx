import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { UINode, UINodeKind } from '@corral/contracts';
import { WidgetRenderer } from '../src/components/WidgetRenderer.js';

afterEach(cleanup);

const every: UINode = {
  kind: 'panel',
  title: 'All kinds',
  children: [
    { kind: 'heading', text: 'Heading <b>', level: 2 },
    { kind: 'text', text: '<img src=x onerror=alert(1)>', tone: 'danger' },
    {
      kind: 'row',
      gap: 'small',
      children: [
        { kind: 'button', label: 'Go', onClick: { handler: 'go', args: { n: 1 } } },
        { kind: 'button', label: 'Off', disabled: true, onClick: { handler: 'off' } },
      ],
    },
    {
      kind: 'column',
      children: [
        {
          kind: 'input',
          label: 'Name',
          value: 'Ada',
          onChange: { handler: 'name' },
          onSubmit: { handler: 'save' },
        },
        { kind: 'input', label: 'Age', inputType: 'number', value: 36, onChange: { handler: 'age' } },
        { kind: 'checkbox', label: 'Done', checked: false, onChange: { handler: 'done', args: 'x' } },
        {
          kind: 'select',
          label: 'Colour',
          value: 'r',
          options: [
            { value: 'r', label: 'Red' },
            { value: 'g', label: 'Green' },
          ],
          onChange: { handler: 'colour' },
        },
      ],
    },
    {
      kind: 'list',
      ordered: true,
      children: [
        { kind: 'text', text: 'one' },
        { kind: 'text', text: 'two' },
      ],
    },
    { kind: 'table', columns: ['What', 'Amount'], rows: [['Tea', 2.5]] },
    { kind: 'badge', text: 'new', tone: 'success' },
    { kind: 'divider' },
  ],
};

function kindsIn(node: UINode, out = new Set<UINodeKind>()) {
  out.add(node.kind);
  if ('children' in node) for (const c of node.children) kindsIn(c, out);
  return out;
}

describe('WidgetRenderer', () => {
  it('the fixture covers every UINode kind', () => {
    const all: UINodeKind[] = [
      'panel',
      'row',
      'column',
      'text',
      'heading',
      'button',
      'input',
      'checkbox',
      'select',
      'list',
      'table',
      'badge',
      'divider',
    ];
    expect([...kindsIn(every)].sort()).toEqual([...all].sort());
  });

  it('renders every kind as an accessible native element', () => {
    const { container } = render(<WidgetRenderer tree={every} onEvent={() => undefined} />);
    expect(screen.getByRole('group', { name: 'All kinds' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Heading <b>', level: 4 })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Go' })).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Off' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('textbox', { name: 'Name' }) as HTMLInputElement).value).toBe('Ada');
    expect((screen.getByRole('spinbutton', { name: 'Age' }) as HTMLInputElement).value).toBe('36');
    expect((screen.getByRole('checkbox', { name: 'Done' }) as HTMLInputElement).checked).toBe(false);
    expect((screen.getByRole('combobox', { name: 'Colour' }) as HTMLSelectElement).value).toBe('r');
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(container.querySelector('ol')).not.toBeNull();
    expect(screen.getByRole('columnheader', { name: 'Amount' })).toBeTruthy();
    expect(screen.getByRole('cell', { name: '2.5' })).toBeTruthy();
    expect(screen.getByText('new')).toBeTruthy();
    expect(screen.getByRole('separator')).toBeTruthy();
  });

  it('never turns plugin strings into HTML', () => {
    const { container } = render(<WidgetRenderer tree={every} onEvent={() => undefined} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(screen.getByText('<img src=x onerror=alert(1)>')).toBeTruthy();
  });

  it('shows an unknown kind as a placeholder, not as whatever the plugin sent', () => {
    const bogus = { kind: 'script', text: 'alert(1)' } as unknown as UINode;
    const { container } = render(<WidgetRenderer tree={bogus} onEvent={() => undefined} />);
    expect(screen.getByRole('note').textContent).toBe('Unsupported node kind: script');
    expect(container.querySelector('script')).toBeNull();
  });

  it('reports clicks, edits, toggles, choices and submits with the binding args', () => {
    const onEvent = vi.fn();
    render(<WidgetRenderer tree={every} onEvent={onEvent} />);
    fireEvent.click(screen.getByRole('button', { name: 'Go' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Name' }), { target: { value: 'Grace' } });
    fireEvent.keyDown(screen.getByRole('textbox', { name: 'Name' }), { key: 'Enter' });
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Age' }), { target: { value: '37' } });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Done' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Colour' }), { target: { value: 'g' } });
    expect(onEvent.mock.calls.map(([binding, event]) => [binding.handler, event])).toEqual([
      ['go', { name: 'click', args: { n: 1 } }],
      ['name', { name: 'change', value: 'Grace' }],
      ['save', { name: 'submit', value: 'Grace' }],
      ['age', { name: 'change', value: 37 }],
      ['done', { name: 'change', args: 'x', value: true }],
      ['colour', { name: 'change', value: 'g' }],
    ]);
  });

  it('keeps what the user typed until the plugin echoes the latest edit', () => {
    const tree = (value: string): UINode => ({
      kind: 'input',
      label: 'Draft',
      value,
      onChange: { handler: 'd' },
    });
    const { rerender } = render(<WidgetRenderer tree={tree('')} onEvent={() => undefined} />);
    const field = () => screen.getByRole('textbox', { name: 'Draft' }) as HTMLInputElement;
    fireEvent.change(field(), { target: { value: 'a' } });
    fireEvent.change(field(), { target: { value: 'ab' } });
    act(() => rerender(<WidgetRenderer tree={tree('a')} onEvent={() => undefined} />));
    expect(field().value).toBe('ab');
    act(() => rerender(<WidgetRenderer tree={tree('ab')} onEvent={() => undefined} />));
    expect(field().value).toBe('ab');
    // A value the user never typed (the plugin cleared the field) wins.
    act(() => rerender(<WidgetRenderer tree={tree('')} onEvent={() => undefined} />));
    expect(field().value).toBe('');
  });
});
