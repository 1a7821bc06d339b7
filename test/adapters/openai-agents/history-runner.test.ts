/**
 * The runner's own use of the history capabilities, on every backend: a model response holding a
 * compaction item makes the runner replace the stored history through
 * replaceHistoryWithCompaction; an output guardrail that trips makes it persist the blocked turn
 * through applyHistoryTransaction.
 */
import {
  Agent,
  type AgentInputItem,
  type AgentOutputItem,
  Runner,
  type SessionHistoryTransactionArgs,
  tool,
} from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSessionsSession } from '../../../src/adapters/openai-agents/index.js';
import { type Backend, backends } from './backends.js';
import { assistantMessage, functionCall, ScriptedModel, ScriptedProvider } from './scripted-model.js';

/** A session that records the capability calls the runner makes. */
class RecordingSession extends AgentSessionsSession {
  readonly calls: string[] = [];
  readonly transactions: SessionHistoryTransactionArgs[] = [];
  override async replaceHistoryWithCompaction(items: AgentInputItem[]) {
    this.calls.push(`replaceHistoryWithCompaction(${items.length})`);
    return super.replaceHistoryWithCompaction(items);
  }
  override async applyHistoryTransaction(args: SessionHistoryTransactionArgs) {
    this.calls.push(`applyHistoryTransaction(${args.transaction.type})`);
    this.transactions.push(structuredClone(args));
    return super.applyHistoryTransaction(args);
  }
  override async clearSession() {
    this.calls.push('clearSession');
    return super.clearSession();
  }
}

const compactionItem = {
  type: 'compaction',
  encrypted_content: 'enc-1',
  id: 'cmp_1',
} as unknown as AgentOutputItem;

describe.each(backends)('the runner’s history rewrites with AgentSessionsSession on %s', (_name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.close();
  });

  const newSession = () =>
    new RecordingSession({
      service: backend.service,
      appName: 'runner-history',
      userId: 'u1',
      sessionId: crypto.randomUUID(),
    });

  it('replaces the history with the compaction item and what follows it, in one call', async () => {
    const model = new ScriptedModel([
      [assistantMessage('first')],
      [compactionItem, assistantMessage('second', 'msg_2')],
    ]);
    const runner = new Runner({ modelProvider: new ScriptedProvider(model), tracingDisabled: true });
    const agent = new Agent({ name: 'compacting', instructions: 'Answer.' });
    const session = newSession();
    await session.updateState({ topic: 'kept' });
    await runner.run(agent, 'one', { session });
    expect(await session.getItems()).toHaveLength(2);

    const result = await runner.run(agent, 'two', { session });
    expect(result.finalOutput).toBe('second');
    expect(session.calls).toEqual(['replaceHistoryWithCompaction(2)']);
    const items = await session.getItems();
    expect(items.map((i) => ('type' in i ? i.type : 'message'))).toEqual(['compaction', 'message']);
    expect(items[0]).toMatchObject({ type: 'compaction', encrypted_content: 'enc-1' });
    expect(await session.getState()).toEqual({ topic: 'kept' });
  });

  it('persists the executed tool round of a turn whose output a guardrail blocked, through a history transaction', async () => {
    const model = new ScriptedModel([
      [functionCall('call_1', 'lookup', '{}')],
      [assistantMessage('a secret')],
    ]);
    const runner = new Runner({ modelProvider: new ScriptedProvider(model), tracingDisabled: true });
    const lookup = tool({
      name: 'lookup',
      description: 'Looks the answer up.',
      strict: false,
      parameters: { type: 'object', properties: {}, required: [], additionalProperties: true },
      execute: async () => 'the secret',
    });
    const agent = new Agent({
      name: 'guarded',
      instructions: 'Answer.',
      tools: [lookup],
      outputGuardrails: [
        {
          name: 'no secrets',
          execute: async () => ({ tripwireTriggered: true, outputInfo: { reason: 'secret' } }),
        },
      ],
    });
    const session = newSession();
    const error = await runner.run(agent, 'tell me', { session }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(session.calls).toContain('applyHistoryTransaction(append_items)');
    const items = await session.getItems();
    // The input and the tool round that ran are stored; the blocked answer is not.
    expect(items.map((i) => ('type' in i ? i.type : 'message'))).toEqual([
      'message',
      'function_call',
      'function_call_result',
    ]);
    expect(items[0]).toMatchObject({ role: 'user', content: 'tell me' });
    // A retry of the runner's transaction (the same operation id) changes nothing.
    for (const args of [...session.transactions]) await session.applyHistoryTransaction(args);
    expect(await session.getItems()).toStrictEqual(items);
  });
});
