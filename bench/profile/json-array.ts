/**
 * Handing a 500-event batch (about 580 KB of event JSON) to node-postgres: as one joined string,
 * which the driver measures and writes into its buffer as UTF-8, against jsonbBinary, which
 * writes the texts straight into one Buffer that the driver copies as it is. Interleaved rounds.
 */
import { encodeEvent } from '../../src/session/codec/index.js';
import { JsonArrayParam, jsonbBinary } from '../../src/sql/json-array.js';
import { makeEvents } from '../data.js';
import { median } from '../measure.js';

const batches = Number(process.argv[2] ?? 400);
const param = new JsonArrayParam(makeEvents(500).map((e) => encodeEvent(e)));

/** What node-postgres does with a string parameter: measure it, then write it as UTF-8. */
function viaString(): Buffer {
  const text = param.text();
  const out = Buffer.allocUnsafe(Buffer.byteLength(text));
  out.write(text, 0, 'utf8');
  return out;
}

const time = (f: () => unknown) => {
  const start = performance.now();
  for (let i = 0; i < batches; i++) f();
  return (performance.now() - start) / batches;
};
const t = { string: [] as number[], binary: [] as number[] };
for (let round = 0; round < 7; round++) {
  t.string.push(time(viaString));
  t.binary.push(time(() => jsonbBinary(param)));
}
const [s, b] = [median(t.string), median(t.binary)];
console.log(
  `500-event batch: joined string ${s.toFixed(3)} ms, binary jsonb ${b.toFixed(3)} ms (${(s / b).toFixed(1)}x)`,
);
