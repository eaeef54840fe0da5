/**
 * @module main
 * Start-up: read the CSP nonce, create the sandbox hosts, open the session from the URL hash
 * (or the default presets), keep the hash in step with the store, render.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'react-redux';
import { createHttpSandbox } from '@corral/core';
import { createBrowserSandbox } from '@corral/worker-browser';
import { createHosts } from './sandbox/hosts.js';
import { createStore } from './store/index.js';
import { fromHash, toHash } from './store/serialize.js';
import { addPreset, connectDiagnostics, loadPlugin } from './sandbox/controller.js';
import { noticeSet, type Theme } from './store/ui.js';
import { ALLOWED_GLOBAL_ACTIONS } from './store/session.js';
import { DEFAULT_PRESETS, presetById } from './presets/presets.js';
import { App } from './components/App.js';
import { HostsContext } from './components/HostsContext.js';
import './styles.css';

function cspNonce(): string | null {
  const content = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? '';
  // The placeholder survives only when nothing rewrote the page (e.g. `vite dev`, no CSP).
  return content && content !== '__CSP_NONCE__' ? content : null;
}

const nonce = cspNonce();
const worker = await createBrowserSandbox({ allowedGlobalActions: [...ALLOWED_GLOBAL_ACTIONS] }).catch(
  (error: unknown) => ({ unavailable: `The in-browser worker could not start: ${String(error)}` }),
);
const params = new URLSearchParams(location.search);
const hosts = createHosts({
  server: createHttpSandbox({ baseUrl: location.origin }),
  worker,
  context: params.get('context') === 'production' ? 'production' : 'design',
});

const storedTheme = localStorage.getItem('corral-theme');
const theme: Theme =
  params.get('theme') === 'dark' || params.get('theme') === 'light'
    ? (params.get('theme') as Theme)
    : storedTheme === 'dark' || storedTheme === 'light'
      ? storedTheme
      : matchMedia('(prefers-color-scheme: dark)').matches
        ? 'dark'
        : 'light';

const opened = fromHash(location.hash);
const store = createStore(hosts, {
  ...(opened?.ok ? { session: opened.session } : {}),
  ui: { theme },
});
connectDiagnostics(hosts, store.dispatch, store.getState);

if (opened?.ok) {
  for (const p of store.getState().session.plugins) {
    if (hosts.unavailable(p.host))
      store.dispatch({ type: 'session/hostChosen', payload: { id: p.id, host: 'server' } });
    void store.dispatch(loadPlugin(p.id));
  }
} else {
  if (opened && !opened.ok)
    store.dispatch(noticeSet({ tone: 'danger', text: `The link could not be opened: ${opened.reason}` }));
  const wanted =
    params
      .get('presets')
      ?.split(',')
      .filter((id) => presetById(id)) ?? DEFAULT_PRESETS;
  void (async () => {
    for (const id of wanted) await store.dispatch(addPreset(id));
  })();
}

let lastSession = store.getState().session;
let hashTimer: ReturnType<typeof setTimeout> | null = null;
let lastTheme: Theme | null = null;
const sync = () => {
  const state = store.getState();
  if (state.ui.theme !== lastTheme) {
    lastTheme = state.ui.theme;
    document.documentElement.dataset.theme = lastTheme;
    localStorage.setItem('corral-theme', lastTheme);
  }
  if (state.session === lastSession) return;
  lastSession = state.session;
  if (hashTimer) clearTimeout(hashTimer);
  hashTimer = setTimeout(() => history.replaceState(null, '', toHash(store.getState().session)), 150);
};
store.subscribe(sync);
sync();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Provider store={store}>
      <HostsContext.Provider value={hosts}>
        <App nonce={nonce} />
      </HostsContext.Provider>
    </Provider>
  </StrictMode>,
);
