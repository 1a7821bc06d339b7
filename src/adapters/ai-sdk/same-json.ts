/**
 * Whether two values are the same JSON document: what a save compares a message with to decide
 * whether it changed. It follows JSON's rules rather than JavaScript's, because a stored message
 * comes back through JSON: a property holding `undefined` is the same as no property, key order
 * does not matter, and a `toJSON` method (a Date's) is compared by what it returns.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  a = jsonForm(a);
  b = jsonForm(b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // JSON writes an undefined array item as null.
      if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const key of Object.keys(x)) {
    if (jsonForm(x[key]) === undefined) continue;
    count++;
    if (!Object.hasOwn(y, key) || !sameJson(x[key], y[key])) return false;
  }
  for (const key of Object.keys(y)) if (jsonForm(y[key]) !== undefined) count--;
  return count === 0;
}

function jsonForm(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  }
  // A boxed bigint is the bigint it holds, as the store writes it (a bigint's toJSON is not called).
  if (value instanceof BigInt) return value.valueOf();
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toJSON.call(value);
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return value.valueOf();
  return value;
}
