declare module 'virtual:corral-bench' {
  import type { JSONValue } from '@corral/contracts';
  /** `todo50.plugin.js` from the shared benchmark fixtures, read at build time. */
  export const todo50Code: string;
  /** `todo50.state.json` from the same fixtures. */
  export const todo50State: JSONValue;
}

declare module 'virtual:corral-plugin-api' {
  /** `index.d.ts` of `@corral/plugin`, read at build time. */
  export const pluginTypings: string;
  /** The UI node types of `@corral/contracts` (`src/types/ui.ts`). */
  export const uiTypings: string;
}
