import { hasInexactNumber, parseValidJson } from './exact.js';
import { decodeFastTree, parseJson } from './reader.js';

/**
 * Decodes a stored JSON document without losing a digit. JSON.parse reads it first, as fast as
 * it can be read; its tree is decoded unless that meets an integer field beyond 2^53, or unless
 * raw JSON values holding a number were read and the text holds a number JSON.parse rounds (a
 * number in a typed field is checked by its reader). Then the text is parsed
 * again exactly (bigint and RawJson for those numbers) and decoded from that tree. Rows written
 * by Go and by this codec almost never need the second parse.
 */
export function decodeJsonText<T>(text: string, what: string, decode: (tree: unknown) => T): T {
  const fast = decodeFastTree(parseJson(text, what), decode);
  if (fast && !(fast.rawNumbers && hasInexactNumber(text))) return fast.value;
  return decode(parseValidJson(text));
}
