// The conversation log kept in an n8n chat memory (Redis Chat Memory, Postgres Chat Memory): each record is
// one message of the memory's chat history, marked so that the chat's own messages are told apart. Only the
// shapes used are described here: the memory is LangChain's, and the nodes import nothing of it.
import type { ConversationLog } from 'connectly-agent-graph';

/** The marker in a record's `additional_kwargs`: its value is the record format's version. */
export const RECORD_MARKER = 'connectlyConversationRecord';
const RECORD_VERSION = 1;

/** A message as a chat history gives it back: its text and the extra fields kept with it. */
export interface ChatMemoryMessage {
  content?: unknown;
  additional_kwargs?: Record<string, unknown>;
}

/** A message as a chat history stores it: what `toDict()` returns is what it keeps. */
export interface StorableMessage {
  toDict(): { type: string; data: { content: string; additional_kwargs: Record<string, unknown> } };
}

/** The chat history of an n8n chat memory: every message of its session key, oldest first. */
export interface ChatHistory {
  /** LangChain's name of the history's class: its last part says where the messages are kept. */
  lc_namespace?: readonly string[];
  getMessages(): Promise<readonly ChatMemoryMessage[]>;
  addMessage(message: StorableMessage): Promise<void>;
}

/** A record as a message of the chat history: a system message, so that a chat that reads it back sees no turn. */
function recordMessage(record: string): StorableMessage {
  return {
    toDict: () => ({
      type: 'system',
      data: { content: record, additional_kwargs: { [RECORD_MARKER]: RECORD_VERSION } },
    }),
  };
}

const isRecord = (message: ChatMemoryMessage): boolean =>
  message.additional_kwargs?.[RECORD_MARKER] === RECORD_VERSION && typeof message.content === 'string';

/** The log in a chat history; the history's own messages (a chat under the same key) are skipped. */
export class ChatMemoryLog implements ConversationLog {
  constructor(private readonly history: ChatHistory) {}

  async append(record: string): Promise<void> {
    await this.history.addMessage(recordMessage(record));
  }

  async read(): Promise<readonly string[]> {
    const messages = await this.history.getMessages();
    return messages.filter(isRecord).map((message) => message.content as string);
  }
}
