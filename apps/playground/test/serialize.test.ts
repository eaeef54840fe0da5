import { describe, expect, it } from 'vitest';
import { compressToEncodedURIComponent } from 'lz-string';
import { fromDocument, fromHash, SESSION_VERSION, toDocument, toHash } from '../src/store/serialize.js';
import { applyGlobal, type SessionState } from '../src/store/session.js';
import { stateFits } from '../src/sandbox/controller.js';

const session: SessionState = {
  plugins: [
    {
      id: 'counter-1',
      name: 'Counter',
      code: 'definePlugin({})',
      host: 'server',
      state: { count: 3 },
      hasState: true,
    },
    {
      id: 'todo-2',
      name: 'Todo',
      code: '// "quotes" & <tags>',
      host: 'worker',
      state: null,
      hasState: false,
    },
  ],
  global: { counter: 7, notifications: ['a'] },
  selectedId: 'todo-2',
};

describe('session serialization', () => {
  it('round-trips a session through the URL hash', () => {
    const hash = toHash(session);
    expect(hash).toMatch(/^#s1=[A-Za-z0-9+\-$]+$/);
    expect(fromHash(hash)).toEqual({ ok: true, session });
  });

  it('round-trips through the exported document', () => {
    const doc = JSON.parse(JSON.stringify(toDocument(session)));
    expect(doc.version).toBe(SESSION_VERSION);
    expect(fromDocument(doc)).toEqual({ ok: true, session });
  });

  it('treats an empty hash as a fresh visit', () => {
    expect(fromHash('')).toBeNull();
    expect(fromHash('#')).toBeNull();
  });

  it('refuses a newer version and says why', () => {
    const doc = { ...toDocument(session), version: SESSION_VERSION + 1 };
    const parsed = fromDocument(doc);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/version 2.*newer playground/);
    expect(fromHash('#s2=abc')).toMatchObject({ ok: false, reason: expect.stringMatching(/newer/) });
  });

  it('refuses damaged links and documents without half-applying them', () => {
    expect(fromHash('#s1=%%%')).toMatchObject({ ok: false });
    expect(fromHash('#s1=' + compressToEncodedURIComponent('{not json'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not valid JSON/),
    });
    expect(fromDocument({ corral: 'other' })).toMatchObject({ ok: false });
    const dup = { ...toDocument(session), plugins: [session.plugins[0], session.plugins[0]] };
    expect(fromDocument(dup)).toMatchObject({ ok: false, reason: expect.stringMatching(/twice/) });
  });

  it('keeps auto placement, and opens old links whose hosts are worker or server', () => {
    const auto = { ...session, plugins: session.plugins.map((p) => ({ ...p, host: 'auto' as const })) };
    const parsed = fromHash(toHash(auto));
    expect(parsed).toEqual({ ok: true, session: auto });
    const old = { ...toDocument(session), version: 1 };
    const opened = fromDocument(old);
    expect(opened.ok && opened.session.plugins.map((p) => p.host)).toEqual(['server', 'worker']);
  });

  it('drops what it cannot trust: unknown hosts, non-JSON state, bad globals', () => {
    const doc = {
      corral: 'playground-session',
      version: 1,
      plugins: [{ id: 'p', code: 'x', host: 'mainframe', state: { n: 1 }, hasState: true }],
      global: { counter: 'lots', notifications: [1, 'ok'] },
    };
    expect(fromDocument(doc)).toEqual({
      ok: true,
      session: {
        plugins: [{ id: 'p', name: 'p', code: 'x', host: 'worker', state: { n: 1 }, hasState: true }],
        global: { counter: 0, notifications: ['ok'] },
        selectedId: 'p',
      },
    });
  });
});

describe('global actions', () => {
  it('applies the allowed ones and ignores the rest', () => {
    let g = { counter: 0, notifications: [] as string[] };
    g = applyGlobal(g, { type: 'counter/increment', payload: { by: 2 } });
    g = applyGlobal(g, { type: 'counter/increment' });
    g = applyGlobal(g, { type: 'counter/increment', payload: { by: 'x' } });
    g = applyGlobal(g, { type: 'notifications/add', payload: { text: 'hi' } });
    g = applyGlobal(g, { type: 'admin/wipe', payload: {} });
    expect(g).toEqual({ counter: 4, notifications: ['hi'] });
  });
});

describe('state kept across edits', () => {
  it('keeps state that has every key of the new initialState', () => {
    expect(stateFits({ count: 3, extra: 1 }, { count: 0 })).toBe(true);
    expect(stateFits({ count: 3 }, { n: 0 })).toBe(false);
    expect(stateFits({ count: 3 }, null)).toBe(true);
    expect(stateFits([1], [])).toBe(true);
    expect(stateFits({ a: 1 }, [])).toBe(false);
  });
});
