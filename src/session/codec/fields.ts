/**
 * How Go's encoding/json finds a struct field for an object key, so a document that spells a key
 * `Author` or `AUTHOR` reads as trpc-agent-go reads it. Go matches a key to the field with that
 * exact name, else to the field whose name equals it case-insensitively (Unicode simple folding:
 * `K` also matches the Kelvin sign U+212A, `s` the long s U+017F); unknown keys are ignored. When
 * several keys reach one field, Go decodes each in turn into it: a later value replaces a scalar,
 * null leaves a plain value alone and clears a pointer, map or slice, and objects merge into the
 * struct or map the field already holds (slices element by element).
 *
 * The decoders read struct fields by their exact names. {@link structObject} hands them the
 * object itself when every key is a field name — what Go and this codec write, and so nearly
 * always — and otherwise an object rebuilt by the rules above.
 */

/** How one Go field takes repeated keys. */
type Kind =
  /** A plain value (string, number, bool, time): the last non-null value wins. */
  | 'value'
  /** A pointer to a value, []byte, []scalar, json.RawMessage: the last value, null included, wins. */
  | 'pointer'
  /** A struct value: null is ignored, objects merge. */
  | 'struct'
  /** A pointer to a struct: null clears, objects merge. */
  | 'structPointer'
  /** A map: null clears, objects merge key by key (a later key's value replaces). */
  | 'map'
  /** A slice of structs: null clears, an array merges into the old one element by element. */
  | 'structs';

interface Field {
  kind: Kind;
  of?: StructFields;
}

/** A Go struct's JSON fields. */
export interface StructFields {
  readonly names: ReadonlySet<string>;
  readonly fields: ReadonlyMap<string, Field>;
  /** Field names by their folded form, for keys that are not an exact name. */
  readonly folded: ReadonlyMap<string, string>;
}

type FieldSpec = Kind | [kind: Kind, of: StructFields];

export function goStruct(spec: Record<string, FieldSpec>): StructFields {
  const fields = new Map<string, Field>();
  const folded = new Map<string, string>();
  for (const [name, entry] of Object.entries(spec)) {
    fields.set(name, typeof entry === 'string' ? { kind: entry } : { kind: entry[0], of: entry[1] });
    folded.set(foldName(name), name);
  }
  return { names: new Set(fields.keys()), fields, folded };
}

/**
 * Go's foldName: ASCII letters upper-cased, any other character to the smallest character of its
 * simple-folding orbit. The field names are ASCII, so only the two non-ASCII characters whose
 * orbit holds an ASCII letter matter; any other stays itself and matches no field.
 */
export function foldName(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) out += String.fromCharCode(c - 0x20);
    else if (c === 0x212a) out += 'K';
    else if (c === 0x17f) out += 'S';
    else out += key[i];
  }
  return out;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The object a struct decoder reads: `o` itself when all its keys are exact field names, else
 * the object Go's rules make of it.
 */
export function structObject(o: JsonObject, struct: StructFields): JsonObject {
  for (const key in o) if (!struct.names.has(key)) return resolve([o], struct);
  return o;
}

/** Objects (or struct values) that several keys brought to one field, merged when it is read. */
class Merge {
  constructor(readonly parts: unknown[]) {}
}

function resolve(parts: JsonObject[], struct: StructFields): JsonObject {
  const out: JsonObject = {};
  for (const part of parts) {
    for (const key of Object.keys(part)) {
      const name = struct.names.has(key) ? key : struct.folded.get(foldName(key));
      if (name === undefined) continue;
      const field = struct.fields.get(name)!;
      out[name] = combine(out[name], part[key], field);
    }
  }
  for (const name of Object.keys(out)) out[name] = finish(out[name], struct.fields.get(name)!);
  return out;
}

/** The field's value after a further key: Go decoding `next` into what the field holds. */
function combine(held: unknown, next: unknown, field: Field): unknown {
  switch (field.kind) {
    case 'value':
      return next === null && held !== undefined ? held : next;
    case 'pointer':
      return next;
    case 'struct':
    case 'structPointer':
    case 'map':
      if (next === null) return field.kind === 'struct' && held !== undefined ? held : null;
      return mergeObjects(held, next);
    case 'structs': {
      if (!Array.isArray(next) || !Array.isArray(held)) return next;
      // Go decodes each element into the old one at its index; the new array sets the length.
      const elementField: Field = { kind: 'struct', of: field.of! };
      return next.map((item, i) => (i < held.length ? combine(held[i], item, elementField) : item));
    }
  }
}

function mergeObjects(held: unknown, next: unknown): unknown {
  // A value of the wrong type makes Go's decode fail; keeping it lets the decoder report it.
  if (!isObject(next)) return next;
  if (held instanceof Merge) return new Merge([...held.parts, next]);
  if (isObject(held)) return new Merge([held, next]);
  if (held === undefined || held === null) return next;
  return held;
}

function finish(value: unknown, field: Field): unknown {
  if (value instanceof Merge) {
    if (field.kind === 'map') {
      const map: JsonObject = Object.create(null);
      for (const part of value.parts as JsonObject[])
        for (const key of Object.keys(part)) map[key] = part[key];
      return map;
    }
    return resolve(value.parts as JsonObject[], field.of!);
  }
  if (field.kind === 'structs' && Array.isArray(value)) {
    const elementField: Field = { kind: 'struct', of: field.of! };
    return value.map((item) => finish(item, elementField));
  }
  return value;
}
