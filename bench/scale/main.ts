/**
 * `npm run bench:scale [-- --full] [-- --json FILE] [-- --keep]`: does the store stay flat as the
 * tables grow? Loads sessions in steps (10,000 → 100,000 → 1,000,000 events by default; up to
 * 10,000,000 events, 1,000,000 sessions and 10,000 users with --full), and at each step measures an
 * append, a last-20 read and the listing of one user's sessions; at the end it sweeps the expired
 * tenth of the rows while appends go on. Server PostgreSQL only (DATABASE_URL); not part of CI.
 *
 * Each figure is judged flat when its value at the largest step is within 1.5× of the smallest.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresSessionService } from '../../src/postgres/index.js';
import { type TableNames, tableNames } from '../../src/postgres/schema/index.js';
import { APP, makeEvent } from '../data.js';
import { clock, median, percentile } from '../measure.js';
import {
  DAY_MS,
  EVENTS_PER_SESSION,
  isExpired,
  loadSessions,
  SESSIONS_PER_USER,
  sessionIdOf,
  userOf,
} from './load.js';

const USAGE = `usage: DATABASE_URL=postgres://... npm run bench:scale -- [--full] [--samples N] [--json FILE] [--keep]
  --full       load up to 10,000,000 events (1,000,000 sessions, 10,000 users); default stops at 1,000,000
  --steps A,B  the event counts to measure at (increasing multiples of 1,000)
  --samples N  timed operations per figure and step (default 200)
  --json FILE  also write the figures as JSON
  --keep       leave the schema in place`;

/** Flat: the largest step's value within this factor of the smallest step's. */
const FLAT = 1.5;

interface StepFigures {
  events: number;
  sessions: number;
  users: number;
  loadSeconds: number;
  appendP50: number;
  appendP99: number;
  readP50: number;
  readP99: number;
  listP50: number;
  listP99: number;
  /** Bytes of the six tables with their indexes and TOAST. */
  tableBytes: number;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      steps: { type: 'string' },
      samples: { type: 'string', default: '200' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const samples = Number(values.samples);
  if (!Number.isSafeInteger(samples) || samples < 10)
    throw new Error('--samples must be an integer of at least 10');
  const dsn = process.env.DATABASE_URL;
  if (!dsn) throw new Error(`DATABASE_URL is not set\n${USAGE}`);
  const eventSteps = values.steps
    ? values.steps.split(',').map(Number)
    : values.full
      ? [10_000, 100_000, 1_000_000, 10_000_000]
      : [10_000, 100_000, 1_000_000];
  if (
    eventSteps.some(
      (e, i) => !Number.isSafeInteger(e) || e < 1000 || e % 1000 !== 0 || e <= (eventSteps[i - 1] ?? 0),
    )
  ) {
    throw new Error('--steps must be increasing multiples of 1,000 events');
  }
  return { dsn, samples, eventSteps, json: values.json, keep: values.keep };
}

/** A random live (not expired) session among the first `sessions`. */
function liveSession(sessions: number): number {
  for (;;) {
    const s = Math.floor(Math.random() * sessions);
    if (!isExpired(s)) return s;
  }
}

const keyOf = (s: number) => ({ appName: APP, userId: userOf(s), sessionId: sessionIdOf(s) });

/** Appends event `i` to a random live session; returns how long the append alone took (ms). */
async function timedAppend(service: PostgresSessionService, sessions: number, i: number): Promise<number> {
  const session = await service.getSession(keyOf(liveSession(sessions)), { eventNum: 1 });
  if (!session) throw new Error('a loaded session is missing');
  const event = makeEvent(i);
  const start = clock();
  await service.appendEvent(session, event);
  return clock() - start;
}

async function timeAppends(
  service: PostgresSessionService,
  sessions: number,
  samples: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await timedAppend(service, sessions, i));
  return times;
}

async function timeReads(
  service: PostgresSessionService,
  sessions: number,
  samples: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const key = keyOf(liveSession(sessions));
    const start = clock();
    const session = await service.getSession(key, { eventNum: 20 });
    times.push(clock() - start);
    if (!session || session.events.length === 0) throw new Error(`read of ${key.sessionId} found no events`);
  }
  return times;
}

async function timeLists(service: PostgresSessionService, users: number, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const user = { appName: APP, userId: `user-${Math.floor(Math.random() * users)}` };
    const start = clock();
    const listed = await service.listSessions(user, { onlyMeta: true });
    times.push(clock() - start);
    if (listed.length === 0) throw new Error(`${user.userId} has no sessions`);
  }
  return times;
}

async function tableBytes(pool: pg.Pool, t: TableNames): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(c))::text AS bytes FROM unnest($1::regclass[]) AS c`,
    [t.all.map((x) => x.qualified)],
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** Sweeps the expired rows while one caller keeps appending; returns the sweep and the appends' latencies. */
async function sweepUnderLoad(service: PostgresSessionService, sessions: number) {
  const latencies: number[] = [];
  let sweeping = true;
  const start = clock();
  const sweep = service.sweepNow().finally(() => {
    sweeping = false;
  });
  const appends = (async () => {
    let i = 0;
    while (sweeping) latencies.push(await timedAppend(service, sessions, i++));
  })();
  const report = await sweep;
  const seconds = (clock() - start) / 1000;
  await appends;
  return { report, seconds, latencies };
}

const fmt = (ms: number) => ms.toFixed(2);
const n = (x: number) => x.toLocaleString('en-US');

function flatness(
  steps: StepFigures[],
  pick: (s: StepFigures) => number,
): { ratio: number; verdict: string } {
  const ratio = pick(steps[steps.length - 1]!) / pick(steps[0]!);
  return { ratio, verdict: ratio <= FLAT ? 'flat' : 'grows' };
}

async function main(): Promise<void> {
  const o = options();
  const schema = `scale_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: o.dsn, max: 4, application_name: 'bench-scale-load' });
  pool.on('error', () => {});
  const { rows } = await pool.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  log(`server PostgreSQL ${rows[0]?.v}, schema ${schema}`);
  await pool.query(`CREATE SCHEMA "${schema}"`);
  const t = tableNames(schema, '');
  // The sweeper's timer never fires during the run: the sweep is started by hand at the end.
  const service = await PostgresSessionService.create({
    dsn: o.dsn,
    schema,
    sessionTtlMs: DAY_MS,
    cleanupIntervalMs: 2_000_000_000,
  });
  const steps: StepFigures[] = [];
  let sweep: Awaited<ReturnType<typeof sweepUnderLoad>> | undefined;
  try {
    let loaded = 0;
    for (const events of o.eventSteps) {
      const sessions = events / EVENTS_PER_SESSION;
      const users = Math.max(1, Math.ceil(sessions / SESSIONS_PER_USER));
      log(`loading to ${n(events)} events (${n(sessions)} sessions, ${n(users)} users) ...`);
      const loadStart = clock();
      const chunk = 50_000;
      for (let from = loaded; from < sessions; from += chunk) {
        await loadSessions(pool, t, from, Math.min(sessions, from + chunk));
        if (sessions - loaded > chunk) log(`  ${n(Math.min(sessions, from + chunk))} sessions`);
      }
      await pool.query(`ANALYZE ${t.sessionStates.qualified}, ${t.sessionEvents.qualified}`);
      const loadSeconds = (clock() - loadStart) / 1000;
      loaded = sessions;
      log(`  loaded in ${loadSeconds.toFixed(1)} s; measuring ...`);
      // A few untimed calls first, so the step's first samples do not pay for cold caches alone.
      await timeReads(service, sessions, 20);
      const appends = await timeAppends(service, sessions, o.samples);
      const reads = await timeReads(service, sessions, o.samples);
      const lists = await timeLists(service, users, Math.max(10, o.samples / 4));
      steps.push({
        events,
        sessions,
        users,
        loadSeconds,
        appendP50: median(appends),
        appendP99: percentile(appends, 99),
        readP50: median(reads),
        readP99: percentile(reads, 99),
        listP50: median(lists),
        listP99: percentile(lists, 99),
        tableBytes: await tableBytes(pool, t),
      });
      log(
        `  append p50 ${fmt(median(appends))} ms, read p50 ${fmt(median(reads))} ms, list p50 ${fmt(median(lists))} ms`,
      );
    }
    log('sweeping the expired tenth while appending ...');
    sweep = await sweepUnderLoad(service, loaded);
  } finally {
    await service.close();
    if (o.keep) log(`kept schema ${schema}`);
    else await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  }
  report(steps, sweep!, o.json);
}

function report(
  steps: StepFigures[],
  sweep: Awaited<ReturnType<typeof sweepUnderLoad>>,
  json?: string,
): void {
  const out: string[] = [];
  out.push(
    '| events | sessions | users | load s | append p50 / p99 ms | last-20 read p50 / p99 ms | list a user (100) p50 / p99 ms | MB per million events |',
  );
  out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of steps) {
    out.push(
      `| ${n(s.events)} | ${n(s.sessions)} | ${n(s.users)} | ${s.loadSeconds.toFixed(1)} | ${fmt(s.appendP50)} / ${fmt(s.appendP99)} | ${fmt(s.readP50)} / ${fmt(s.readP99)} | ${fmt(s.listP50)} / ${fmt(s.listP99)} | ${((s.tableBytes / 1024 / 1024) * (1_000_000 / s.events)).toFixed(0)} |`,
    );
  }
  out.push('');
  out.push(`| figure | smallest → largest step | ratio | within ${FLAT}× |`);
  out.push('| --- | ---: | ---: | --- |');
  const figures: [string, (s: StepFigures) => number][] = [
    ['append p50', (s) => s.appendP50],
    ['append p99', (s) => s.appendP99],
    ['last-20 read p50', (s) => s.readP50],
    ['list one user p50', (s) => s.listP50],
  ];
  for (const [name, pick] of figures) {
    const f = flatness(steps, pick);
    out.push(
      `| ${name} | ${fmt(pick(steps[0]!))} → ${fmt(pick(steps[steps.length - 1]!))} ms | ${f.ratio.toFixed(2)}× | ${f.verdict === 'flat' ? 'pass' : 'miss'} |`,
    );
  }
  const r = sweep.report;
  const swept = r.sessions + r.events + r.trackEvents + r.summaries + r.appStates + r.userStates;
  const last = steps[steps.length - 1]!;
  out.push('');
  out.push(
    `Sweep: ${n(swept)} rows (${n(r.sessions)} sessions, ${n(r.events)} events) in ${sweep.seconds.toFixed(1)} s, ` +
      `${n(Math.round(swept / sweep.seconds))} rows/s, in batches; ${n(sweep.latencies.length)} appends meanwhile, ` +
      `p50 ${fmt(median(sweep.latencies))} ms, p99 ${fmt(percentile(sweep.latencies, 99))} ms, max ${fmt(Math.max(...sweep.latencies))} ms ` +
      `(without a sweep: p50 ${fmt(last.appendP50)} ms, p99 ${fmt(last.appendP99)} ms).`,
  );
  console.log(out.join('\n'));
  if (json) {
    writeFileSync(
      json,
      `${JSON.stringify({ steps, sweep: { ...sweep, swept, latencies: undefined, p50: median(sweep.latencies), p99: percentile(sweep.latencies, 99) } }, null, 2)}\n`,
    );
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
