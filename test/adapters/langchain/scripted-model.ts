/**
 * A chat model that answers from a script, for tests: each call returns the next scripted reply
 * (an AIMessage built from the messages it was given), and every prompt it received is kept, so a
 * test can check what history reached the model. It is a real BaseChatModel: LangChain's own
 * invoke, callbacks, bindTools and output handling run around it.
 */
import { BaseChatModel, type BindToolsInput } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';

export type Reply = (prompt: BaseMessage[], call: number) => AIMessage;

export class ScriptedChatModel extends BaseChatModel {
  readonly prompts: BaseMessage[][] = [];
  readonly #replies: Reply[];
  #calls = 0;

  constructor(replies: Reply[]) {
    super({});
    this.#replies = replies;
  }

  _llmType(): string {
    return 'scripted';
  }

  /** The tools are the script's business: the model is returned as it is. */
  override bindTools(_tools: BindToolsInput[]): this {
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const call = this.#calls++;
    const reply = this.#replies[call];
    if (!reply) throw new Error(`the script has no reply number ${call + 1}`);
    this.prompts.push(messages);
    const message = reply(messages, call);
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }
}

/** A scripted reply with the fields a provider fills in: id, usage and response metadata. */
export function reply(fields: ConstructorParameters<typeof AIMessage>[0] & object, n: number): AIMessage {
  return new AIMessage({
    id: `msg-${n}`,
    usage_metadata: { input_tokens: 10 + n, output_tokens: 5, total_tokens: 15 + n },
    response_metadata: { model_name: 'scripted-1', finish_reason: 'stop' },
    ...fields,
  });
}
