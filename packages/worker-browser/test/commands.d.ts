import type { SessionRecording } from '@corral/contracts';
import type { ConformanceFixtures } from '@corral/core/testing';
import type { CspReport } from './strictCsp.js';

// The server-side commands vitest.config.ts registers (they run in Node, beside Vite).
declare module 'vitest/browser' {
  interface BrowserCommands {
    corralFixtures(): Promise<ConformanceFixtures>;
    cspReports(clear?: boolean): Promise<CspReport[]>;
    wasmRequests(): Promise<string[]>;
    equivalenceRecordings(from: number, to: number): Promise<SessionRecording[]>;
  }
}
