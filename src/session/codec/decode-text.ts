import { hasInexactNumber, parseValidJson } from './exact.js';
import { decodeFastTree, parseJson } from './reader.js';

/**
 * Decodes a stored JSON document without losing a digit. JSON.parse reads it first, as fast as
 * it can be read; its tree is decoded unless that meets an integer field beyond 2^53, or unless
 * raw JSON values holding a number were read and the text holds a number JSON.parse rounds (a
 * number in a typed field is checked by its reader). Then the text is parsed
 * again exactly (bigint and RawJson for those numbers) and decoded from that tree. Rows written
 * by Go and by this codec almost never need the second parse.
 *
 * With `adopt`, the parsed tree is first offered to it to become the value in place (see
 * adoptEvent); when it declines (undefined), it may have changed the tree, so `decode` reads a
 * fresh parse.
 */
export function decodeJsonText<T>(
  text: string,
  what: string,
  decode: (tree: unknown) => T,
  adopt?: (tree: unknown) => T | undefined,
): T {
  let tree = parseJson(text, what);
  if (adopt) {
    const adopted = decodeFastTree(tree, adopt);
    if (adopted && adopted.value !== undefined) {
      if (!(adopted.rawNumbers && hasInexactNumber(text))) return adopted.value;
      return decode(parseValidJson(text));
    }
    tree = JSON.parse(text);
  }
  const fast = decodeFastTree(tree, decode);
  if (fast && !(fast.rawNumbers && hasInexactNumber(text))) return fast.value;
  return decode(parseValidJson(text));
}
