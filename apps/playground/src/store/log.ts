/**
 * @module log
 * The dispatch log, the per-call diagnostics and each plugin's console lines, newest last and
 * capped so a flooding plugin cannot grow the tab without bound.
 */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { CallDiagnostic, DispatchScope, JSONValue, LogDiagnostic } from '@corral/contracts';

export const LOG_CAP = 300;

export interface DispatchLogEntry {
  dispatchId: string;
  pluginId: string;
  scope: DispatchScope;
  type: string;
  payload: JSONValue | null;
  accepted: boolean;
  reason: string | null;
  /** The stamp's time (ms since the epoch). */
  ts: number;
  source: string;
}

export interface CallLogEntry extends CallDiagnostic {
  /** Sequence number, for stable list keys. */
  seq: number;
  at: number;
  host: string;
  /** The plugin's memory when last reported (bytes). */
  memoryBytes: number | null;
}

export interface ConsoleEntry extends LogDiagnostic {
  seq: number;
  at: number;
}

export interface LogState {
  dispatches: DispatchLogEntry[];
  calls: CallLogEntry[];
  console: ConsoleEntry[];
  seq: number;
}

const initialState: LogState = { dispatches: [], calls: [], console: [], seq: 0 };

const capped = <T>(list: T[]) => (list.length > LOG_CAP ? list.slice(list.length - LOG_CAP) : list);

export const logSlice = createSlice({
  name: 'log',
  initialState,
  reducers: {
    dispatchesLogged(state, action: PayloadAction<DispatchLogEntry[]>) {
      state.dispatches = capped([...state.dispatches, ...action.payload]);
    },
    callLogged(state, action: PayloadAction<Omit<CallLogEntry, 'seq'>>) {
      state.seq += 1;
      state.calls = capped([...state.calls, { ...action.payload, seq: state.seq }]);
    },
    consoleLogged(state, action: PayloadAction<Omit<ConsoleEntry, 'seq'>>) {
      state.seq += 1;
      state.console = capped([...state.console, { ...action.payload, seq: state.seq }]);
    },
    logsCleared() {
      return initialState;
    },
  },
});

export const { dispatchesLogged, callLogged, consoleLogged, logsCleared } = logSlice.actions;
