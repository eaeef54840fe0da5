/**
 * @module ui
 * View preferences and notices: theme, the open bottom tab, the last session-level message.
 */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';

export type Theme = 'light' | 'dark';
export type BottomTab = 'dispatches' | 'diagnostics' | 'console' | 'replay';

export interface UiState {
  theme: Theme;
  tab: BottomTab;
  notice: { tone: 'info' | 'danger'; text: string } | null;
}

export const uiSlice = createSlice({
  name: 'ui',
  initialState: { theme: 'light', tab: 'dispatches', notice: null } as UiState,
  reducers: {
    themeSet(state, action: PayloadAction<Theme>) {
      state.theme = action.payload;
    },
    tabSet(state, action: PayloadAction<BottomTab>) {
      state.tab = action.payload;
    },
    noticeSet(state, action: PayloadAction<UiState['notice']>) {
      state.notice = action.payload;
    },
  },
});

export const { themeSet, tabSet, noticeSet } = uiSlice.actions;
