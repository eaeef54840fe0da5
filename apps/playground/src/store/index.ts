/**
 * @module store
 * One Redux Toolkit store owns the session (code, plugin state, global state), what the
 * sandboxes reported (trees, statuses, errors) and the logs. The sandbox hosts are passed to
 * thunks as `extra`, so the store itself never talks to a worker.
 */
import { combineReducers, configureStore } from '@reduxjs/toolkit';
import { sessionSlice, type SessionState } from './session.js';
import { runtimeSlice } from './runtime.js';
import { logSlice } from './log.js';
import { uiSlice, type UiState } from './ui.js';
import type { Hosts } from '../sandbox/hosts.js';

const rootReducer = combineReducers({
  session: sessionSlice.reducer,
  runtime: runtimeSlice.reducer,
  log: logSlice.reducer,
  ui: uiSlice.reducer,
});

export type RootState = ReturnType<typeof rootReducer>;

export function createStore(hosts: Hosts, preloaded?: { session?: SessionState; ui?: Partial<UiState> }) {
  return configureStore({
    reducer: rootReducer,
    preloadedState: {
      ...(preloaded?.session ? { session: preloaded.session } : {}),
      ...(preloaded?.ui ? { ui: { ...uiSlice.getInitialState(), ...preloaded.ui } } : {}),
    },
    middleware: (getDefault) =>
      getDefault({
        thunk: { extraArgument: hosts },
        // Trees and logs are plain JSON already; checking every action's payload for
        // serializability costs more than the calls themselves on big trees.
        serializableCheck: false,
        immutableCheck: false,
      }),
  });
}

export type AppStore = ReturnType<typeof createStore>;
export type AppDispatch = AppStore['dispatch'];
