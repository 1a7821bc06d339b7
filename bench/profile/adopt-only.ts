/** The adopting step alone (JSON.parse done before timing), to profile with `node --cpu-prof`. */
import { decodeEvent, encodeEvent } from '../../src/session/codec/index.js';
import { makeEvent } from '../data.js';

const bodies = Array.from({ length: 1000 }, (_, i) => encodeEvent(makeEvent(i)));
const rounds = Number(process.argv[2] ?? 2000);
let sink: unknown;
const start = performance.now();
for (let r = 0; r < rounds; r++) for (const b of bodies) sink = decodeEvent(b);
console.log(`decodeEvent: ${((performance.now() - start) / rounds).toFixed(3)} ms per 1,000 events`);
void sink;
