/** Decoding cost per event: JSON.parse alone against decodeEvent, on the bench's events. */
import { decodeEvent, encodeEvent } from '../../src/session/codec/index.js';
import { makeEvent } from '../data.js';

const bodies = Array.from({ length: 1000 }, (_, i) => encodeEvent(makeEvent(i)));
function time(label: string, fn: () => void) {
  for (let i = 0; i < 50; i++) fn();
  const start = performance.now();
  const rounds = 300;
  for (let i = 0; i < rounds; i++) fn();
  console.log(`${label}: ${((performance.now() - start) / rounds).toFixed(3)} ms per 1,000 events`);
}
let sink: unknown;
time('JSON.parse', () => {
  sink = bodies.map((b) => JSON.parse(b));
});
time('decodeEvent', () => {
  sink = bodies.map((b) => decodeEvent(b));
});
time('JSON.parse', () => {
  sink = bodies.map((b) => JSON.parse(b));
});
time('decodeEvent', () => {
  sink = bodies.map((b) => decodeEvent(b));
});
void sink;
