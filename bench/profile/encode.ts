/**
 * Encoding cost per event: encodeEvent (Go's field order, omitempty and escaping, checked as it
 * writes) against JSON.stringify of the same Event objects, over `count` distinct events (default
 * 1,000; 32,000 is what a W2 round keeps queued, past the CPU caches).
 */
import { encodeEvent } from '../../src/session/codec/index.js';
import { makeEvent } from '../data.js';

const count = Number(process.argv[2] ?? 1000);
const events = Array.from({ length: count }, (_, i) => makeEvent(i));
function time(label: string, fn: () => void) {
  fn();
  const rounds = Math.max(3, Math.round(300_000 / count));
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  console.log(`${label}: ${(((performance.now() - start) / rounds / count) * 1000).toFixed(2)} µs per event`);
}
let sink: unknown;
for (let r = 0; r < 2; r++) {
  time('JSON.stringify', () => {
    sink = events.map((e) => JSON.stringify(e));
  });
  time('encodeEvent', () => {
    sink = events.map((e) => encodeEvent(e));
  });
}
void sink;
