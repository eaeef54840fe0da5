/**
 * @module @corral/plugin/jsx-runtime
 * JSX types for plugins: one intrinsic element per UINode kind, with that kind's props (from
 * `@corral/contracts`); every element is a UINode.
 */
import type { UINode, UINodeKind } from '@corral/contracts';
import type { PluginElement } from './index.js';

/** What may appear between tags: nodes, text, numbers, arrays of them, or nothing. */
export type Child = UINode | string | number | boolean | null | undefined | readonly Child[];

type Props<K extends UINodeKind> = Omit<Extract<UINode, { kind: K }>, 'kind' | 'key' | 'children' | 'text'> &
  ('children' extends keyof Extract<UINode, { kind: K }> ? { children?: Child } : unknown) &
  ('text' extends keyof Extract<UINode, { kind: K }> ? { text?: string; children?: Child } : unknown) & {
    key?: string | number;
  };

export namespace JSX {
  type Element = PluginElement;
  interface ElementChildrenAttribute {
    children: unknown;
  }
  type IntrinsicElements = { [K in UINodeKind]: Props<K> };
}

export declare function jsx(type: unknown, props: unknown, key?: string | number): PluginElement;
export declare const jsxs: typeof jsx;
export declare const jsxDEV: typeof jsx;
export declare function Fragment(props: { children?: Child }): UINode[];
