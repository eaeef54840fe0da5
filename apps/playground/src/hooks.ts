/** Typed react-redux hooks. */
import { useDispatch, useSelector, type TypedUseSelectorHook } from 'react-redux';
import type { AppDispatch, RootState } from './store/index.js';

export const useAppDispatch: () => AppDispatch = useDispatch;
export const useAppSelector: TypedUseSelectorHook<RootState> = useSelector;
import { useStore } from 'react-redux';
import type { AppStore } from './store/index.js';

export const useAppStore: () => AppStore = useStore as () => AppStore;
