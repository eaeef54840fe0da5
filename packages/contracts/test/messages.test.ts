/**
 * Each validation message a plugin author or an API client meets names the offending value,
 * what is allowed instead, and where (its JSON pointer).
 */
import { describe, expect, it } from 'vitest';
import {
  validateLoadPluginParams,
  validateRpcRequest,
  validateUINode,
  type Validation,
} from '../src/index.js';

const message = (result: Validation<unknown>): string => (result.ok ? 'valid' : result.message);

const ALL_KINDS =
  'panel, row, column, text, heading, button, input, checkbox, select, list, table, badge, divider';

describe('validation messages', () => {
  it('an unknown node kind: names it, lists every kind, and says where', () => {
    const tree = {
      kind: 'column',
      children: [
        { kind: 'text', text: 'a' },
        { kind: 'html', text: '<b>' },
      ],
    };
    expect(message(validateUINode(tree))).toBe(
      `/children/1: kind 'html' is not a UINode kind; expected one of ${ALL_KINDS}`,
    );
  });

  it('a kind that is not a string', () => {
    expect(message(validateUINode({ kind: 3 }))).toBe(
      `/: kind must be a string, not number; expected one of ${ALL_KINDS}`,
    );
  });

  it('a node without a kind', () => {
    expect(message(validateUINode({ text: 'a' }))).toBe(
      `/: this object needs property 'kind', a UINode kind: one of ${ALL_KINDS}`,
    );
  });

  it('a prop the node kind does not have: names it and lists the allowed ones', () => {
    expect(
      message(validateUINode({ kind: 'row', children: [{ kind: 'text', text: 'a', color: 'red' }] })),
    ).toBe("/children/0: property 'color' is not allowed on a text node; allowed: kind, key, text, tone");
  });

  it('a missing required prop names the node kind and its required props', () => {
    expect(message(validateUINode({ kind: 'button', label: 'Go' }))).toBe(
      "/: a button node needs property 'onClick' (required: kind, label, onClick)",
    );
  });

  it('a value outside an enum quotes it and lists the allowed values', () => {
    expect(message(validateUINode({ kind: 'badge', text: 'x', tone: 'pink' }))).toBe(
      "/tone: tone 'pink' is not allowed; expected one of 'danger', 'muted', 'normal', 'success', 'warning'",
    );
    expect(message(validateUINode({ kind: 'heading', text: 'x', level: 4 }))).toBe(
      '/level: level 4 is not allowed; expected one of 1, 2, 3',
    );
  });

  it('a value of the wrong type says what it is', () => {
    const tree = { kind: 'button', label: 'Go', onClick: { handler: 7 } };
    expect(message(validateUINode(tree))).toBe('/onClick/handler: must be string, not number (7)');
    expect(message(validateUINode({ kind: 'table', columns: ['a'], rows: [[{}]] }))).toBe(
      '/rows/0/0: must be string or number, not object',
    );
  });

  it('an unknown RPC op lists the ops', () => {
    expect(message(validateRpcRequest({ id: 1, op: 'run', params: {} }))).toBe(
      "/: op 'run' is not an RPC op; expected one of loadPlugin, render, event, disposePlugin, health",
    );
  });

  it('a bound (length) quotes the value', () => {
    expect(message(validateLoadPluginParams({ pluginId: '', code: 'x' }))).toBe(
      "/pluginId: must NOT have fewer than 1 characters (got '')",
    );
    expect(message(validateLoadPluginParams({ pluginId: 'p', code: 'x', profile: 'fast' }))).toBe(
      "/profile: profile 'fast' is not allowed; expected one of 'default', 'generous', 'strict'",
    );
  });

  it('a long string value is shortened in the message', () => {
    const long = 'x'.repeat(500);
    const text = message(validateUINode({ kind: 'badge', text: 'x', tone: long }));
    expect(text.length).toBeLessThan(200);
    expect(text).toContain(`'${'x'.repeat(60)}…'`);
  });
});
