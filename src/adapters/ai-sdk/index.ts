/**
 * `agent-sessions/ai-sdk`: the Vercel AI SDK's chats (`UIMessage[]`) in a session store.
 * The `ai` package is an optional peer dependency; this module only uses its types.
 */

export { ChatHistory, type SaveResult } from './chat-history.js';
export type { ChatKey } from './chat-key.js';
export { type OpenChatOptions, UIMessageStore, type UIMessageStoreOptions } from './store.js';
export { EXTENSION_KEY, type UIMessageLike } from './stored-message.js';
export { SUMMARY_MESSAGE_ID, type SummarizedChat } from './summary.js';
