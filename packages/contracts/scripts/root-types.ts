/**
 * @module root-types
 * The contract's root types: each gets `schemas/<Name>.json` and a `validate<Name>` function.
 */
/** The root types that get a schema file and a `validateX` function. */
export const ROOT_TYPES = [
  'JSONValue',
  'UINode',
  'EventBinding',
  'PluginEvent',
  'DispatchIntent',
  'Dispatch',
  'PluginMeta',
  'RuntimeLimits',
  'RuntimeLimitsOverride',
  'RuntimeError',
  'LoadPluginParams',
  'RenderParams',
  'EventParams',
  'DisposePluginParams',
  'RpcRequest',
  'RpcResponse',
  'RpcNotification',
  'RenderResult',
  'EventResult',
  'HealthResult',
  'Diagnostic',
  'SessionRecording',
] as const;
