/**
 * The inspector's JSON API: what the page asks for, answered by the operator reads. Query
 * parameters are checked here and turned into typed options; stored JSON documents are parsed so
 * the page gets objects, and the session-state envelope is decoded into readable text values.
 */
import { browseSessions, readAppState, readUserState } from '../../postgres/admin/browse.js';
import { listApps, listUsers } from '../../postgres/admin/list.js';
import { readTimeline } from '../../postgres/admin/timeline.js';
import type { TableNames } from '../../postgres/schema/index.js';
import { decodeSessionState } from '../../session/codec/index.js';
import { InvalidArgumentError } from '../../session/errors.js';
import type { SqlClient } from '../../sql/client.js';
import { stateValueText } from '../output/transcript.js';
import { parseInstant } from '../timestamps.js';

/** What the API reads from (an operator API database: a client and the table names) and may do. */
export interface ApiContext {
  readonly client: SqlClient;
  readonly tables: TableNames;
  /** Which kind of database, for the page's header: never where it is or how to log in. */
  readonly label: string;
  readonly allowWrites: boolean;
}

/** A session key as the page sends it. */
export interface KeyParams {
  appName: string;
  userId: string;
  sessionId: string;
}

/** Reads query parameters, failing with the parameter's name and rule. */
export class Query {
  constructor(readonly params: URLSearchParams) {}

  text(name: string): string | undefined {
    const value = this.params.get(name);
    return value === null || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.text(name);
    if (value === undefined) throw new InvalidArgumentError(name, 'is required');
    return value;
  }

  flag(name: string): boolean {
    const value = this.params.get(name);
    return value === '1' || value === 'true';
  }

  int(name: string): number | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    if (!/^\d{1,9}$/.test(value))
      throw new InvalidArgumentError(name, `must be a whole number, got "${value}"`);
    return Number(value);
  }

  instant(name: string): Date | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    try {
      return parseInstant(value);
    } catch (error) {
      throw new InvalidArgumentError(name, (error as Error).message);
    }
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  }

  key(): KeyParams {
    return {
      appName: this.required('app'),
      userId: this.required('user'),
      sessionId: this.required('session'),
    };
  }
}

/** The session state envelope as `{ key: text }`; undecodable state says why instead. */
function stateText(envelope: string | null): { state: Record<string, string>; problem: string | null } {
  if (envelope === null) return { state: {}, problem: null };
  try {
    // fromEntries defines each key as its own property (a `__proto__` key included, which an
    // assignment would take as the object's prototype).
    const entries = Object.entries(decodeSessionState(envelope).state);
    return {
      state: Object.fromEntries(entries.map(([key, value]) => [key, stateValueText(value)])),
      problem: null,
    };
  } catch (error) {
    return { state: {}, problem: `the session state does not decode: ${(error as Error).message}` };
  }
}

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));

/** GET /api/info */
export function info(ctx: ApiContext): unknown {
  return { database: ctx.label, writable: ctx.allowWrites };
}

/** Apps and users a listing shows at most: the page asks for more 50 at a time. */
const MAX_LISTING = 1000;

function listingLimit(q: Query): number {
  const limit = q.int('limit') ?? 50;
  if (limit < 1 || limit > MAX_LISTING) {
    throw new InvalidArgumentError('limit', `must be from 1 to ${MAX_LISTING}, got ${limit}`);
  }
  return limit;
}

/** GET /api/apps?hidden&limit */
export function apps(ctx: ApiContext, q: Query): Promise<unknown> {
  return listApps(ctx, { includeInactive: q.flag('hidden'), limit: listingLimit(q) });
}

/** GET /api/users?app&hidden&limit: the app's users and the app's state. */
export async function users(ctx: ApiContext, q: Query): Promise<unknown> {
  const appName = q.required('app');
  const includeInactive = q.flag('hidden');
  const listing = await listUsers(ctx, { appName, includeInactive, limit: listingLimit(q) });
  const appState = await readAppState(ctx, appName, { includeInactive });
  return { ...listing, appState };
}

/** GET /api/sessions?app&user&prefix&from&to&order&cursor&limit&hidden: a page and the user's state. */
export async function sessions(ctx: ApiContext, q: Query): Promise<unknown> {
  const user = { appName: q.required('app'), userId: q.required('user') };
  const includeInactive = q.flag('hidden');
  const page = await browseSessions(ctx, user, {
    includeInactive,
    idPrefix: q.text('prefix'),
    updatedFrom: q.instant('from'),
    updatedTo: q.instant('to'),
    order: q.oneOf('order', ['newest', 'oldest'] as const),
    cursor: q.text('cursor'),
    limit: q.int('limit'),
  });
  const userState = await readUserState(ctx, user, { includeInactive });
  return { ...page, userState };
}

/** GET /api/timeline?app&user&session&row&after&before&from&limit&trackAfter&hidden */
export async function timeline(ctx: ApiContext, q: Query): Promise<unknown> {
  const t = await readTimeline(ctx, q.key(), {
    includeInactive: q.flag('hidden'),
    rowId: q.text('row'),
    after: q.text('after'),
    before: q.text('before'),
    from: q.oneOf('from', ['start', 'end'] as const),
    limit: q.int('limit'),
    trackAfter: q.text('trackAfter'),
  });
  if (t === null) return null;
  const { state: stored, ...row } = t.session;
  const { state, problem } = stateText(stored);
  return {
    ...t,
    session: { ...row, state, stateProblem: problem },
    events: t.events.map((e) => ({ ...e, event: parse(e.event) })),
    summaries: t.summaries.map((s) => ({ ...s, summary: parse(s.summary) })),
    trackEvents: t.trackEvents.map((e) => ({ ...e, event: parse(e.event) })),
  };
}
