/**
 * The SDK's history transactions (`applyHistoryTransaction`): `append_items`, or `replace_suffix`
 * when the stored suffix is the expected one; atomic, and idempotent per operation id.
 *
 * The operation id is recorded in the session's own state, under
 * `agent-sessions/openai-agents/operation/<sha256 of the id>`, holding the id and a digest of the
 * transaction, written by the same `replaceEvents` call that changes the history, with the
 * precondition that the key is still absent. Why the state and not the events: the record must
 * outlive the events it wrote (a later compaction or transaction replaces them, and a retry
 * after that must still be recognised), a transaction may store no event at all, and the
 * precondition on one state key makes two racing tries of one operation apply it once (the loser
 * reads again and finds the record). State survives clearSession, so a retry after a clear is
 * still recognised; the records are small (one key per transaction the runner makes, which it
 * does only to persist output a guardrail blocked, and to replace it once accepted).
 */
import {
  ConflictError,
  type Event,
  InvalidArgumentError,
  isAgentSessionsError,
  jsonValue,
  readJson,
  type StateMap,
} from '../../index.js';
import { canonicalJson, digest } from './canonical.js';
import { type HistoryStore, readNewest, tailOf } from './history-read.js';
import { EXTENSION_KEY, eventsOf, type Item, stampAgain } from './item-event.js';

/** The session-state keys of recorded operations start with this. */
export const OPERATION_KEY_PREFIX = `${EXTENSION_KEY}/operation/`;

/** How often a transaction is read and tried again after a concurrent write got in between. */
const ATTEMPTS = 5;

/** A transaction's arguments, checked. */
interface TransactionArgs {
  operationId: string;
  type: 'append_items' | 'replace_suffix';
  expectedSuffix: Item[];
  items: unknown;
  /** The transaction's canonical digest: equal for transactions the SDK counts as equal. */
  digest: string;
}

/** What is stored under an operation's key. */
interface OperationRecord {
  operationId: string;
  transaction: string;
}

function transactionArgs(args: unknown): TransactionArgs {
  if (args === null || typeof args !== 'object') throw new InvalidArgumentError('args', 'must be an object');
  const { operationId, transaction } = args as { operationId?: unknown; transaction?: unknown };
  if (typeof operationId !== 'string' || operationId.trim() === '')
    throw new InvalidArgumentError('args.operationId', 'must be a non-empty string');
  if (transaction === null || typeof transaction !== 'object')
    throw new InvalidArgumentError('args.transaction', 'must be an object');
  const t = transaction as {
    type?: unknown;
    items?: unknown;
    expectedSuffix?: unknown;
    replacement?: unknown;
  };
  let text: string;
  try {
    text = canonicalJson(transaction);
  } catch (error) {
    throw new InvalidArgumentError('args.transaction', 'must be JSON-like data (no cycles)', {
      cause: error,
    });
  }
  if (t.type === 'append_items') {
    return { operationId, type: t.type, expectedSuffix: [], items: t.items, digest: digest(text) };
  }
  if (t.type === 'replace_suffix') {
    if (!Array.isArray(t.expectedSuffix))
      throw new InvalidArgumentError('args.transaction.expectedSuffix', 'must be an array of items');
    const expectedSuffix = t.expectedSuffix as Item[];
    return { operationId, type: t.type, expectedSuffix, items: t.replacement, digest: digest(text) };
  }
  throw new InvalidArgumentError('args.transaction.type', 'must be "append_items" or "replace_suffix"');
}

export async function applyTransaction(store: HistoryStore, rawArgs: unknown): Promise<void> {
  const args = transactionArgs(rawArgs);
  const field = args.type === 'append_items' ? 'args.transaction.items' : 'args.transaction.replacement';
  const added = eventsOf(args.items, field, store.author);
  const key = OPERATION_KEY_PREFIX + digest(args.operationId);
  const record: OperationRecord = { operationId: args.operationId, transaction: args.digest };
  for (let attempt = 1; ; attempt++) {
    const session = await readNewest(store, args.expectedSuffix.length);
    if (!session && args.expectedSuffix.length > 0) throw suffixMismatch();
    if (!session) {
      // A conversation never written: the transaction creates it, then reads it as any other.
      if (attempt >= ATTEMPTS)
        throw new ConflictError('the session could not be created', { field: 'sessionId' });
      await store.create();
      stampAgain(added);
      continue;
    }
    const recorded = recordedDigest(session.state, key);
    if (recorded !== undefined) {
      if (recorded === args.digest) return;
      throw new ConflictError(
        `history operation ${JSON.stringify(args.operationId)} was already applied with a different transaction`,
        { field: 'args.operationId' },
      );
    }
    const replaced = replacedEvents(store, session.events, args);
    try {
      await store.service.replaceEvents(store.key, {
        expectedEventIds: replaced.expectedEventIds,
        events: [...replaced.keep, ...added],
        state: { [key]: jsonValue(record) },
        expectedState: { [key]: null },
      });
      return;
    } catch (error) {
      // Another write came in between: read again, which finds the operation recorded (a racing
      // try of the same one) or the suffix changed.
      if (!isAgentSessionsError(error, 'CONFLICT') || attempt >= ATTEMPTS) throw error;
    }
  }
}

/**
 * The transaction digest recorded under `key`: undefined when none is, null when the value is not
 * a record (never written by this adapter; it counts as a different transaction).
 */
function recordedDigest(state: StateMap, key: string): string | null | undefined {
  if (state[key] === undefined || state[key] === null) return undefined;
  try {
    const record = readJson<Partial<OperationRecord>>(state, key);
    return typeof record?.transaction === 'string' ? record.transaction : null;
  } catch {
    return null;
  }
}

/** The events the transaction replaces (none for an append), and what of them is stored again. */
function replacedEvents(
  store: HistoryStore,
  events: readonly Event[],
  args: TransactionArgs,
): { expectedEventIds: string[]; keep: Event[] } {
  if (args.type === 'append_items') return { expectedEventIds: [], keep: [] };
  const tail = tailOf(events, args.expectedSuffix.length, store);
  if (!tail || !sameItems(tail.items, args.expectedSuffix)) throw suffixMismatch();
  return { expectedEventIds: tail.events.map((event) => event.id), keep: tail.keep };
}

function sameItems(stored: readonly Item[], expected: readonly Item[]): boolean {
  return (
    stored.length === expected.length &&
    stored.every((item, i) => canonicalJson(item) === canonicalJson(expected[i]))
  );
}

function suffixMismatch(): ConflictError {
  return new ConflictError("the stored history does not end with the transaction's expectedSuffix", {
    field: 'args.transaction.expectedSuffix',
  });
}
