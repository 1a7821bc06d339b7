import {
  type GetSessionOptions,
  isAgentSessionsError,
  type Session,
  type SessionKey,
  type SessionService,
} from '../../index.js';

/**
 * Reads every stored event of a chat, oldest first, in the store's sequence: a page (which the
 * service does not cut to its event limit nor anchor) as large as PostgreSQL's LIMIT parameter
 * (an int4) allows.
 */
export const WHOLE_CHAT: GetSessionOptions = { eventPage: { offset: 0, limit: 2_147_483_647 } };

/**
 * The chat's session, created on first use. Two first requests racing on one chat both call
 * createSession; the database lets exactly one win, and the loser (a `CONFLICT`) reads the
 * winner's session instead, so the chat is created once and both requests write into it.
 */
export async function sessionForWrite(service: SessionService, key: SessionKey): Promise<Session> {
  try {
    return await service.createSession(key);
  } catch (error) {
    if (!isAgentSessionsError(error, 'CONFLICT')) throw error;
    const existing = await service.getSession(key, { eventPage: { offset: 0, limit: 1 } });
    if (existing) return existing;
    throw error;
  }
}
