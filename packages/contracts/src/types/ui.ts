/**
 * @module ui
 * The serializable UI tree a widget's `render` returns. Discriminated on `kind`; no kind carries
 * markup, URLs, style strings or functions, so a host can render it with any toolkit without
 * trusting the plugin. Unknown kinds and unknown props are rejected.
 */
import type { JSONValue } from './json.js';

/** Spacing between the children of a row or column. */
export type Gap = 'none' | 'small' | 'medium' | 'large';

/** Semantic colour of a text or badge; the host maps it to its own theme. */
export type Tone = 'normal' | 'muted' | 'success' | 'warning' | 'danger';

/** Names a plugin handler to run when the user interacts with a node. */
export interface EventBinding {
  /** Name of a handler declared in the plugin's `handlers`. */
  handler: string;
  /** Arguments passed to the handler as `event.args`. */
  args?: JSONValue;
}

/** A titled container. */
export interface PanelNode {
  /** Discriminator. */
  kind: 'panel';
  /** Stable identity among siblings, used by hosts to reconcile lists. */
  key?: string;
  /** Heading shown at the top of the panel. */
  title?: string;
  /** Nodes inside the panel, in order. */
  children: UINode[];
}

/** Children laid out horizontally. */
export interface RowNode {
  /** Discriminator. */
  kind: 'row';
  /** Stable identity among siblings. */
  key?: string;
  /** Nodes in the row, left to right. */
  children: UINode[];
  /** Space between children. */
  gap?: Gap;
}

/** Children laid out vertically. */
export interface ColumnNode {
  /** Discriminator. */
  kind: 'column';
  /** Stable identity among siblings. */
  key?: string;
  /** Nodes in the column, top to bottom. */
  children: UINode[];
  /** Space between children. */
  gap?: Gap;
}

/** A run of plain text (never markup). */
export interface TextNode {
  /** Discriminator. */
  kind: 'text';
  /** Stable identity among siblings. */
  key?: string;
  /** The text, shown verbatim. */
  text: string;
  /** Semantic colour. */
  tone?: Tone;
}

/** A section heading. */
export interface HeadingNode {
  /** Discriminator. */
  kind: 'heading';
  /** Stable identity among siblings. */
  key?: string;
  /** The heading text, shown verbatim. */
  text: string;
  /** 1 is the most prominent. */
  level?: 1 | 2 | 3;
}

/** A clickable button. */
export interface ButtonNode {
  /** Discriminator. */
  kind: 'button';
  /** Stable identity among siblings. */
  key?: string;
  /** Button caption. */
  label: string;
  /** Handler run on click; the event's name is `click`. */
  onClick: EventBinding;
  /** When true the button cannot be clicked. */
  disabled?: boolean;
  /** Visual emphasis. */
  variant?: 'primary' | 'secondary' | 'danger';
}

/** A single-line text or number field. */
export interface InputNode {
  /** Discriminator. */
  kind: 'input';
  /** Stable identity among siblings. */
  key?: string;
  /** Current value (the plugin owns it: controlled input). */
  value: string | number;
  /** Label shown beside the field. */
  label?: string;
  /** Hint shown while empty. */
  placeholder?: string;
  /** Kind of value edited. */
  inputType?: 'text' | 'number';
  /** Handler run on each edit; the event's `value` holds the new value. */
  onChange?: EventBinding;
  /** Handler run when the user submits (Enter). */
  onSubmit?: EventBinding;
}

/** A boolean toggle. */
export interface CheckboxNode {
  /** Discriminator. */
  kind: 'checkbox';
  /** Stable identity among siblings. */
  key?: string;
  /** Whether it is ticked. */
  checked: boolean;
  /** Label shown beside the box. */
  label?: string;
  /** Handler run on toggle; the event's `value` is the new boolean. */
  onChange?: EventBinding;
}

/** One choice of a select. */
export interface SelectOption {
  /** Value reported when chosen. */
  value: string;
  /** Text shown for the choice. */
  label: string;
}

/** A drop-down choice. */
export interface SelectNode {
  /** Discriminator. */
  kind: 'select';
  /** Stable identity among siblings. */
  key?: string;
  /** Currently selected option value. */
  value: string;
  /** Available choices. */
  options: SelectOption[];
  /** Label shown beside the select. */
  label?: string;
  /** Handler run on change; the event's `value` is the chosen option value. */
  onChange?: EventBinding;
}

/** A bulleted or numbered list; each child is one item. */
export interface ListNode {
  /** Discriminator. */
  kind: 'list';
  /** Stable identity among siblings. */
  key?: string;
  /** One node per item. */
  children: UINode[];
  /** Numbered when true. */
  ordered?: boolean;
}

/** A table of plain cells. */
export interface TableNode {
  /** Discriminator. */
  kind: 'table';
  /** Stable identity among siblings. */
  key?: string;
  /** Column headings. */
  columns: string[];
  /** Rows of cells, each a string or a number. */
  rows: (string | number)[][];
}

/** A small status label. */
export interface BadgeNode {
  /** Discriminator. */
  kind: 'badge';
  /** Stable identity among siblings. */
  key?: string;
  /** Badge text. */
  text: string;
  /** Semantic colour. */
  tone?: Tone;
}

/** A horizontal rule. */
export interface DividerNode {
  /** Discriminator. */
  kind: 'divider';
  /** Stable identity among siblings. */
  key?: string;
}

/** A node of the UI tree, discriminated on `kind`. */
export type UINode =
  | PanelNode
  | RowNode
  | ColumnNode
  | TextNode
  | HeadingNode
  | ButtonNode
  | InputNode
  | CheckboxNode
  | SelectNode
  | ListNode
  | TableNode
  | BadgeNode
  | DividerNode;

/** Every `kind` a UINode may have. */
export type UINodeKind = UINode['kind'];
