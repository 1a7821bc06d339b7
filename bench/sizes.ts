/**
 * How big each workload is: the sizes for a full run, and a reduced set for `--quick`
 * (which must finish in under a minute).
 */
export interface Sizes {
  /** W1: events per run, measured rounds (after a warmup round a tenth the size). */
  w1: { events: number; rounds: number };
  /** W2: sessions x events each, at `concurrency`, measured rounds. */
  w2: { sessions: number; events: number; concurrency: number; rounds: number };
  /** W3: the session's length, the limits read, samples per limit. */
  w3: { events: number; limits: number[]; samples: number };
  /**
   * W4: the user's sessions, stored events each, events listed per session, samples of the list
   * with events and of the metadata-only list (a few milliseconds a call, so more of them: 20
   * medians of a busy shared host moved by a third between runs).
   */
  w4: { sessions: number; eventsEach: number; listEvents: number; samples: number; metaSamples: number };
  /** W5: session lengths; samples of the read (limit 20) and of the append, per length. */
  w5: { lengths: number[]; readSamples: number; appendSamples: number };
  /** W6: reads measured per length; events async-appended, spread over `sessions`. */
  w6: { readSamples: number; appendEvents: number; appendSessions: number };
  /** Untimed operations before each latency workload. */
  warmup: number;
}

export const FULL: Sizes = {
  w1: { events: 2000, rounds: 3 },
  w2: { sessions: 50, events: 100, concurrency: 16, rounds: 3 },
  w3: { events: 5000, limits: [1000, 20], samples: 200 },
  w4: { sessions: 1000, eventsEach: 12, listEvents: 10, samples: 20, metaSamples: 100 },
  w5: { lengths: [100, 1000, 10_000], readSamples: 200, appendSamples: 150 },
  w6: { readSamples: 20, appendEvents: 100_000, appendSessions: 10 },
  warmup: 10,
};

export const QUICK: Sizes = {
  w1: { events: 400, rounds: 2 },
  w2: { sessions: 16, events: 25, concurrency: 16, rounds: 2 },
  w3: { events: 2000, limits: [1000, 20], samples: 10 },
  w4: { sessions: 200, eventsEach: 12, listEvents: 10, samples: 10, metaSamples: 20 },
  w5: { lengths: [100, 1000, 10_000], readSamples: 30, appendSamples: 30 },
  w6: { readSamples: 8, appendEvents: 10_000, appendSessions: 10 },
  warmup: 3,
};

/** The limit of the growth and memory reads. */
export const SMALL_LIMIT = 20;
