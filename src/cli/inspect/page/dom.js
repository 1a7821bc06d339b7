// Building the page safely: every piece of stored text enters the document as a text node or an
// attribute value, never as HTML, so a `<script>` in a message is shown, not run.

/** Creates an element. `props`: attributes, `class`, and `on<event>` listeners; children: nodes or text. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * A stored name (an app, user or session id, an author, a tool, a track) in a <bdi>: isolated from
 * the text around it, so right-to-left characters in it (an override, U+202E, most of all)
 * reorder only the name itself, never the names and words shown after it.
 */
export function isolated(name) {
  return h('bdi', null, name);
}

/** Appends children: nodes as they are, anything else as text; nested arrays are flattened. */
export function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's content. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** The page address (hash) for a path of (kind, value) pairs: `link(['a', app, 'u', user])`. */
export function link(parts, query) {
  const path = parts.map(encodeURIComponent).join('/');
  const q = query ? `?${new URLSearchParams(query)}` : '';
  return `#/${path}${q}`;
}

/** An error thrown by {@link api}, with the server's message. */
export class ApiError extends Error {}

/** GETs a JSON API path with query parameters (empty ones left out). */
export async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
  const qs = query.toString();
  const res = await fetch(qs ? `${path}?${qs}` : path, { credentials: 'same-origin' });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(body?.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** POSTs a JSON body to an API path. */
export async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const result = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(result?.error ?? `${res.status} ${res.statusText}`);
  return result;
}

/** A URL to a path with query parameters, for links (downloads). */
export function href(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
  return `${path}?${query}`;
}

/** `2026-01-02T03:04:05.123456Z` → `2026-01-02 03:04:05`. */
export function when(iso) {
  if (!iso) return '—';
  return String(iso).slice(0, 19).replace('T', ' ');
}

/** The time of day with milliseconds: `03:04:05.123`. */
export function clock(iso) {
  if (!iso) return '';
  return String(iso).slice(11, 23);
}

/** Text longer than this many characters or lines is folded. */
export const FOLD_CHARS = 800;
export const FOLD_LINES = 24;

/** Text in a `<pre>`, folded into a `<details>` when long: the first lines show, the rest on demand. */
export function folded(text, className = 'text') {
  const s = String(text);
  const lines = s.split('\n');
  if (s.length <= FOLD_CHARS && lines.length <= FOLD_LINES) return h('pre', { class: className }, s);
  const head = lines.slice(0, 4).join('\n').slice(0, 300);
  return h(
    'details',
    { class: `fold ${className}` },
    h(
      'summary',
      null,
      h('pre', { class: className }, `${head}…`),
      h(
        'span',
        { class: 'fold-size' },
        `${s.length.toLocaleString()} characters, ${lines.length} lines — show all`,
      ),
    ),
    h('pre', { class: className }, s),
  );
}

/** JSON text pretty-printed when it parses, as it is otherwise. */
export function prettyJson(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A base64 state value (as Go stores `[]byte`) as text; `null` for a deleted key; binary as its size. */
export function stateValue(b64) {
  if (b64 === null || b64 === undefined) return null;
  try {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    try {
      return utf8.decode(bytes);
    } catch {
      return `<${bytes.length} bytes>`;
    }
  } catch {
    return String(b64);
  }
}

/** A small status mark for hidden rows. */
export function statusBadge(status) {
  return status && status !== 'live' ? h('span', { class: `badge ${status}` }, status) : null;
}

/** A table: `columns` of { title, cell(row) → node or text, class? }. */
export function table(columns, rows, rowProps = () => ({})) {
  return h(
    'table',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((c) => h('th', { class: c.class }, c.title)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          rowProps(r),
          columns.map((c) => h('td', { class: c.class }, c.cell(r))),
        ),
      ),
    ),
  );
}

/** A key/value state table; empty state says so. */
export function stateTable(title, entries) {
  return h(
    'section',
    { class: 'state' },
    h('h3', null, title),
    entries.length === 0
      ? h('p', { class: 'muted' }, '(empty)')
      : table(
          [
            { title: 'key', cell: (e) => h('code', null, e.key), class: 'key' },
            {
              title: 'value',
              cell: (e) =>
                e.value === null ? h('span', { class: 'muted' }, 'null') : folded(e.value, 'value'),
            },
            { title: '', cell: (e) => statusBadge(e.status) },
          ],
          entries,
          (e) => ({ class: e.status && e.status !== 'live' ? 'hidden-row' : undefined }),
        ),
  );
}
