import type { Session as AdkSession, ListSessionsRequest, ListSessionsResponse } from '@google/adk';
import { InvalidArgumentError } from '../../index.js';

/**
 * ADK's paging of listSessions over the user's sessions (given newest first, as the store lists
 * them), with the same arithmetic as ADK's own services: `order` sorts by last update time (ties
 * by id, as ADK compares them), no `order` keeps the store's newest-first order; `page` (1-based, needs `limit`) wins
 * over `offset`; without `limit`, one page holds everything after `offset`.
 */
export function pageSessions(sessions: AdkSession[], request: ListSessionsRequest): ListSessionsResponse {
  const { limit, offset, page, order } = request;
  checkCount('limit', limit, 0);
  checkCount('offset', offset, 0);
  checkCount('page', page, 1);
  if (page !== undefined && limit === undefined)
    throw new InvalidArgumentError('page', 'needs limit (the page size)');
  if (order !== undefined && order !== 'asc' && order !== 'desc')
    throw new InvalidArgumentError('order', "must be 'asc' or 'desc'");
  const all = sortSessions(sessions, order);
  const totalItems = all.length;
  if (limit === undefined) {
    return {
      sessions: offset ? all.slice(offset) : all,
      page: 1,
      limit: totalItems,
      totalItems,
      totalPages: totalItems === 0 ? 0 : 1,
    };
  }
  const start = page !== undefined ? (page - 1) * limit : (offset ?? 0);
  return {
    sessions: all.slice(start, start + limit),
    page: page ?? (limit === 0 ? 1 : Math.floor(start / limit) + 1),
    limit,
    totalItems,
    totalPages: limit === 0 ? 0 : Math.ceil(totalItems / limit),
  };
}

/**
 * ADK's comparator (its in-memory and Vertex AI services): by update time, ties by
 * `id.localeCompare`, ascending in both orders, so sessions updated in the same millisecond are
 * listed as ADK lists them ('a' before 'B' before 'b', not by UTF-16 code unit).
 */
function sortSessions(sessions: AdkSession[], order: 'asc' | 'desc' | undefined): AdkSession[] {
  if (order === undefined) return sessions;
  const sign = order === 'asc' ? 1 : -1;
  return sessions
    .slice()
    .sort((a, b) => sign * (a.lastUpdateTime - b.lastUpdateTime) || a.id.localeCompare(b.id));
}

function checkCount(field: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new InvalidArgumentError(field, `must be an integer >= ${min}`);
}
