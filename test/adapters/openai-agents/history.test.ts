/**
 * The SDK's optional history capabilities of AgentSessionsSession, called as the runner calls
 * them, on every backend: replaceHistoryWithCompaction, applyHistoryMutations and
 * applyHistoryTransaction (idempotent per operation id, a suffix precondition, racing tries).
 */
import type { AgentInputItem } from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsSession } from '../../../src/adapters/openai-agents/index.js';
import { type AgentSessionsError, isAgentSessionsError, textValue } from '../../../src/index.js';
import { type Backend, backends } from './backends.js';
import { assistant, call, result, user } from './items.js';

const compaction = (content: string): AgentInputItem =>
  ({ type: 'compaction', encrypted_content: content }) as AgentInputItem;

async function rejection(work: Promise<unknown>): Promise<AgentSessionsError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAgentSessionsError(error), String(error)).toBe(true);
  return error as AgentSessionsError;
}

describe.each(backends)('AgentSessionsSession history rewrites on %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  const newSession = (sessionId = crypto.randomUUID()) =>
    new AgentSessionsSession({ service: backend.service, appName: 'history-app', userId: 'u1', sessionId });

  describe('replaceHistoryWithCompaction', () => {
    it('replaces the whole history, keeping the session id and its state', async () => {
      const session = newSession();
      await session.addItems([user('q1'), assistant('a1'), user('q2'), assistant('a2')]);
      await session.updateState({ topic: 'weather' });
      const replacement = [compaction('opaque'), user('q2'), assistant('a2')];
      await session.replaceHistoryWithCompaction(replacement);
      expect(await session.getItems()).toStrictEqual(replacement);
      expect(await session.getState()).toMatchObject({ topic: 'weather' });
      await session.addItems([user('q3')]);
      expect(await session.getItems()).toStrictEqual([...replacement, user('q3')]);
    });

    it('creates a session never written, and refuses what is not a list of items, storing nothing', async () => {
      const session = newSession();
      await session.replaceHistoryWithCompaction([compaction('c')]);
      expect(await session.getItems()).toStrictEqual([compaction('c')]);
      const error = await rejection(session.replaceHistoryWithCompaction([user('ok'), null as never]));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(await session.getItems()).toStrictEqual([compaction('c')]);
    });
  });

  describe('applyHistoryMutations', () => {
    it('replaces the stored function_call with the call id, in place, keeping the rest', async () => {
      const session = newSession();
      const before = [user('q'), call('c1', '{"city":"Paris"}'), result('c1', 'sunny'), assistant('sunny')];
      await session.addItems(before);
      const replacement = call('c1', '{"city":"Paris","unit":"C"}') as Extract<
        AgentInputItem,
        { type: 'function_call' }
      >;
      await session.applyHistoryMutations({
        mutations: [{ type: 'replace_function_call', callId: 'c1', replacement }],
      });
      expect(await session.getItems()).toStrictEqual([before[0], replacement, before[2], before[3]]);
    });

    it('drops later calls with the same id, as the SDK reference does; an unknown id changes nothing', async () => {
      const session = newSession();
      await session.addItems([call('c1', '1'), result('c1', 'r'), call('c1', '2'), user('q')]);
      const replacement = call('c1', 'new') as Extract<AgentInputItem, { type: 'function_call' }>;
      await session.applyHistoryMutations({
        mutations: [{ type: 'replace_function_call', callId: 'c1', replacement }],
      });
      expect(await session.getItems()).toStrictEqual([replacement, result('c1', 'r'), user('q')]);
      const stored = await session.getItems();
      await session.applyHistoryMutations({
        mutations: [{ type: 'replace_function_call', callId: 'nope', replacement }],
      });
      await session.applyHistoryMutations({ mutations: [] });
      expect(await session.getItems()).toStrictEqual(stored);
      await newSession().applyHistoryMutations({
        mutations: [{ type: 'replace_function_call', callId: 'c1', replacement }],
      });
    });
  });

  describe('applyHistoryTransaction', () => {
    it('append_items appends; a retry with the same transaction succeeds without appending again', async () => {
      const session = newSession();
      await session.addItems([user('q1')]);
      const args = {
        operationId: 'op-1',
        transaction: { type: 'append_items' as const, items: [assistant('a1')] },
      };
      await session.applyHistoryTransaction(args);
      await session.applyHistoryTransaction(structuredClone(args));
      // The same transaction with its keys in another order is the same transaction.
      await session.applyHistoryTransaction({
        transaction: { items: [assistant('a1')], type: 'append_items' },
        operationId: 'op-1',
      });
      expect(await session.getItems()).toStrictEqual([user('q1'), assistant('a1')]);
      // The record of the operation is the adapter's own: not part of the run's state.
      expect(Object.keys(await session.getState())).toEqual([]);
    });

    it('a different transaction under a recorded id fails with CONFLICT and changes nothing', async () => {
      const session = newSession();
      await session.applyHistoryTransaction({
        operationId: 'op-1',
        transaction: { type: 'append_items', items: [user('q1')] },
      });
      const error = await rejection(
        session.applyHistoryTransaction({
          operationId: 'op-1',
          transaction: { type: 'append_items', items: [user('other')] },
        }),
      );
      expect(error.code).toBe('CONFLICT');
      expect(error.field).toBe('args.operationId');
      expect(await session.getItems()).toStrictEqual([user('q1')]);
    });

    it('replace_suffix replaces the expected suffix; a mismatch fails with CONFLICT, changes nothing, records nothing', async () => {
      const session = newSession();
      await session.addItems([user('q1'), assistant('blocked'), user('x')]);
      const mismatch = await rejection(
        session.applyHistoryTransaction({
          operationId: 'op-2',
          transaction: {
            type: 'replace_suffix',
            expectedSuffix: [assistant('blocked')],
            replacement: [assistant('ok')],
          },
        }),
      );
      expect(mismatch.code).toBe('CONFLICT');
      expect(mismatch.field).toBe('args.transaction.expectedSuffix');
      expect(await session.getItems()).toStrictEqual([user('q1'), assistant('blocked'), user('x')]);

      const args = {
        operationId: 'op-2',
        transaction: {
          type: 'replace_suffix' as const,
          expectedSuffix: [assistant('blocked'), user('x')],
          replacement: [assistant('accepted')],
        },
      };
      await session.applyHistoryTransaction(args);
      expect(await session.getItems()).toStrictEqual([user('q1'), assistant('accepted')]);
      // A retry is recognised even though the suffix it expected is gone.
      await session.applyHistoryTransaction(args);
      expect(await session.getItems()).toStrictEqual([user('q1'), assistant('accepted')]);
      // A suffix longer than the history never matches.
      const tooLong = await rejection(
        session.applyHistoryTransaction({
          operationId: 'op-3',
          transaction: {
            type: 'replace_suffix',
            expectedSuffix: [user('0'), user('q1'), assistant('accepted')],
            replacement: [],
          },
        }),
      );
      expect(tooLong.code).toBe('CONFLICT');
    });

    it('racing tries of one operation apply it once and all succeed', async () => {
      const session = newSession();
      await session.addItems([user('q1')]);
      const args = {
        operationId: 'op-race',
        transaction: { type: 'append_items' as const, items: [assistant('once')] },
      };
      await Promise.all(
        Array.from({ length: 4 }, () => session.applyHistoryTransaction(structuredClone(args))),
      );
      expect(await session.getItems()).toStrictEqual([user('q1'), assistant('once')]);
    });

    it('of two operations replacing the same suffix at once, exactly one applies', async () => {
      const session = newSession();
      await session.addItems([user('q1'), assistant('blocked')]);
      const replace = (operationId: string, text: string) =>
        session.applyHistoryTransaction({
          operationId,
          transaction: {
            type: 'replace_suffix',
            expectedSuffix: [assistant('blocked')],
            replacement: [assistant(text)],
          },
        });
      const outcomes = await Promise.allSettled([replace('op-a', 'from a'), replace('op-b', 'from b')]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((lost.reason as AgentSessionsError).code).toBe('CONFLICT');
      const items = await session.getItems();
      expect(items).toHaveLength(2);
      expect([assistant('from a'), assistant('from b')]).toContainEqual(items[1]);
    });

    it('creates a session never written; keeps the session state; refuses bad arguments before any change', async () => {
      const session = newSession();
      await session.applyHistoryTransaction({
        operationId: 'op-1',
        transaction: { type: 'append_items', items: [user('q')] },
      });
      await session.updateState({ mood: 'calm' });
      await session.applyHistoryTransaction({
        operationId: 'op-2',
        transaction: { type: 'append_items', items: [] },
      });
      expect(await session.getState()).toEqual({ mood: 'calm' });
      for (const args of [
        { operationId: '', transaction: { type: 'append_items', items: [] } },
        { operationId: 'op-3', transaction: { type: 'nope' } },
        { operationId: 'op-3', transaction: { type: 'append_items', items: [null] } },
        {
          operationId: 'op-3',
          transaction: { type: 'replace_suffix', expectedSuffix: 'x', replacement: [] },
        },
      ]) {
        expect((await rejection(session.applyHistoryTransaction(args as never))).code).toBe(
          'INVALID_ARGUMENT',
        );
      }
      expect(await session.getItems()).toStrictEqual([user('q')]);
      const key = { appName: 'history-app', userId: 'u1', sessionId: await session.getSessionId() };
      await backend.service.updateSessionState(key, { other: textValue('"x"') });
      expect(await session.getState()).toEqual({ mood: 'calm', other: 'x' });
    });
  });
});
