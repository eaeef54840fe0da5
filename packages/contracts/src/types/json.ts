/**
 * @module json
 * The JSON value space: everything that crosses a boundary in Corral is plain JSON.
 */

/** Any JSON value: what state snapshots, payloads and handler arguments are made of. */
export type JSONValue = null | boolean | number | string | JSONArray | JSONObject;

/** A JSON array. */
export type JSONArray = JSONValue[];

/** A JSON object with string keys. */
export interface JSONObject {
  [key: string]: JSONValue;
}
