/**
 * A `jsonb` parameter given as the JSON texts of its elements: the statement receives the one
 * array `[t1,t2,...]`, and each driver adapter writes it the cheapest way its driver allows.
 *
 * Why not a string: the asynchronous writer sends a batch of hundreds of events this way. Joined
 * into one JavaScript string, a 500-event batch (580 KB) cost about 3 ms of CPU, the join and the
 * driver's encoding of the joined string into UTF-8 again, where writing the texts straight into
 * bytes costs about 0.3 ms (`bench/profile/json-array.ts`).
 */
export class JsonArrayParam {
  /** `texts`: each element's JSON text, already valid JSON (the caller's encoder wrote it). */
  constructor(readonly texts: readonly string[]) {}

  /**
   * `[t1,t2,...]` as one flat string. Wrapping the joined texts in brackets afterwards
   * (`[${...}]`) leaves a rope around the whole text, which a driver then flattens and measures
   * before encoding it: the brackets go on the first and last texts, and one join copies all.
   */
  text(): string {
    const { texts } = this;
    if (texts.length === 0) return '[]';
    const parts = texts.slice();
    parts[0] = `[${parts[0]}`;
    parts[parts.length - 1] = `${parts[parts.length - 1]}]`;
    return parts.join(',');
  }
}

/**
 * The array in jsonb's binary input format: the format version (1), then the JSON text in UTF-8.
 * node-postgres sends a Buffer parameter in binary format as it is. Uses Buffer, so only the
 * Node.js driver adapter calls it.
 */
export function jsonbBinary(param: JsonArrayParam): Buffer {
  const { texts } = param;
  // Version byte, brackets, commas between the texts.
  let bytes = 3 + Math.max(0, texts.length - 1);
  for (const text of texts) bytes += Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(bytes);
  out[0] = 1;
  out[1] = 0x5b; // [
  let at = 2;
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(texts[i]!, at, 'utf8');
  }
  out[at] = 0x5d; // ]
  return out;
}
