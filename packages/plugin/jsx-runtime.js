/**
 * @module @corral/plugin/jsx-runtime
 * The JSX runtime a plugin's .tsx/.jsx compiles against (esbuild's automatic runtime, bundled
 * into the plugin on the host): each element becomes a plain UINode object, `<button label="+1"
 * onClick={{ handler: 'inc' }} />` → `{ kind: 'button', label: '+1', onClick: { handler: 'inc' } }`.
 * Children of container kinds become `children`; the children of a text, heading or badge
 * become its `text`. null, undefined and booleans are skipped, arrays are flattened, so
 * `{cond && <text … />}` and `{items.map(…)}` work.
 */

const TEXT_KINDS = { text: true, heading: true, badge: true };

function flatten(children, out) {
  if (children === null || children === undefined || typeof children === 'boolean') return out;
  if (Array.isArray(children)) {
    for (let i = 0; i < children.length; i++) flatten(children[i], out);
    return out;
  }
  out.push(children);
  return out;
}

export function jsx(type, props, key) {
  if (typeof type === 'function') return type(key === undefined ? props : { ...props, key });
  const node = { kind: type };
  let children;
  for (const name in props) {
    if (name === 'children') children = props.children;
    else if (props[name] !== undefined) node[name] = props[name];
  }
  if (key !== undefined && key !== null) node.key = String(key);
  if (children !== undefined) {
    const items = flatten(children, []);
    if (TEXT_KINDS[type] === true) {
      if (node.text === undefined) node.text = items.join('');
    } else {
      node.children = items;
    }
  }
  return node;
}

export const jsxs = jsx;
export const jsxDEV = jsx;

/** `<>…</>`: its children, flattened into the parent's. */
export function Fragment(props) {
  return flatten(props.children, []);
}
