/**
 * The two changes the inspector makes when started with `--allow-writes`: restore a soft-deleted
 * session, and (soft-)delete a session. Each names the session it acts on twice, in the key and
 * in `confirm`, which the page fills only after the user confirmed the exact id: a stray request
 * changes nothing.
 */
import { restoreSession } from '../../postgres/cleanup/restore.js';
import { PostgresSessionService } from '../../postgres/service.js';
import { InvalidArgumentError } from '../../session/errors.js';
import type { ApiContext, KeyParams } from './api.js';

/** The body of a write request. */
export interface WriteRequest extends KeyParams {
  /** The session id again, as the user confirmed it. */
  confirm: string;
}

/** Checks a write request's body, naming the field at fault. */
export function parseWriteRequest(body: unknown): WriteRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError('body', 'must be a JSON object');
  }
  const o = body as Record<string, unknown>;
  const text = (name: string): string => {
    const value = o[name];
    if (typeof value !== 'string' || value === '')
      throw new InvalidArgumentError(name, 'must be a non-empty string');
    return value;
  };
  const request = {
    appName: text('appName'),
    userId: text('userId'),
    sessionId: text('sessionId'),
    confirm: text('confirm'),
  };
  if (request.confirm !== request.sessionId) {
    throw new InvalidArgumentError('confirm', 'must repeat the session id exactly, to confirm the change');
  }
  return request;
}

/** POST /api/restore: brings back the session's most recently soft-deleted incarnation. */
export async function restore(ctx: ApiContext, request: WriteRequest): Promise<unknown> {
  const { confirm: _, ...key } = request;
  const restored = await restoreSession(ctx.client, ctx.tables, key);
  return { restored };
}

/** POST /api/delete: deletes the live session as a service does (soft delete: `restore` undoes it). */
export async function remove(ctx: ApiContext, request: WriteRequest): Promise<unknown> {
  const { confirm: _, ...key } = request;
  const service = new PostgresSessionService({
    client: ctx.client,
    schema: ctx.tables.schema,
    tablePrefix: ctx.tables.prefix,
    skipDbInit: true,
    softDelete: true,
  });
  try {
    await service.deleteSession(key);
  } finally {
    await service.close();
  }
  return { deleted: true };
}
