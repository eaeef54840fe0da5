/** The sandbox hosts, for components that must say which ones this page can use. */
import { createContext, useContext } from 'react';
import type { Hosts } from '../sandbox/hosts.js';

export const HostsContext = createContext<Hosts | null>(null);

export function useHosts(): Hosts {
  const hosts = useContext(HostsContext);
  if (!hosts) throw new Error('useHosts outside <HostsContext.Provider>');
  return hosts;
}
