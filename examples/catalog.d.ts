/** Every example plugin's JavaScript file, one group per example (a pair for `shared`). */
export function exampleGroups(): { pluginId: string; code: string }[][];
