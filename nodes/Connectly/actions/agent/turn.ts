// One turn of a conversation, shared by both Send Message operations: the session given (or a new one),
// the input sent, and the events or the whole reply output. `send` picks invoke or invoke_sync.
import type { IExecuteFunctions } from 'n8n-workflow';
import {
  type AgentEvent,
  type AgentSession,
  type CallOptions,
  type InputEvent,
  summarizeReply,
} from 'connectly-agent-graph';
import { type Observable, lastValueFrom, tap } from 'rxjs';
import { agentId, callOptions, type PartialResult, timeouts } from '../../shared/context';
import { type Outputs, pushEvent, pushReply } from '../../shared/items';
import { type StreamContent, eventMarkdown } from '../../shared/markdown';
import { connectlyClient } from '../../shared/transport';
import { readInputEvents } from './fields';

type Send = (session: AgentSession, inputEvents: InputEvent[], options: CallOptions) => Observable<AgentEvent>;

export async function turn(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
  send: Send,
): Promise<void> {
  const clientKey = this.getNodeParameter('clientKey', itemIndex) as string;
  const sessionId = ((this.getNodeParameter('sessionId', itemIndex, '') as string) || '').trim();
  const inputEvents = readInputEvents.call(this, itemIndex);
  const mode = this.getNodeParameter('output', itemIndex) as 'reply' | 'events';
  partial.clientKey = clientKey;
  // With an empty Session ID the customer's remembered session is continued (or one started and
  // remembered), unless the user asked for a new session every time.
  const remember = !sessionId && this.getNodeParameter('sessionMemory', itemIndex, 'remember') === 'remember';
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex), remember);
  const session = client.session({
    clientKey,
    ...(sessionId ? { sessionId } : {}),
    ...agentId.call(this, itemIndex),
  });

  const events: AgentEvent[] = [];
  partial.events = events as unknown as PartialResult[];
  const streaming = this.isStreaming();
  const { streamContent = 'all', rawEvents = false } = this.getNodeParameter('options', itemIndex, {}) as {
    streamContent?: StreamContent;
    rawEvents?: boolean;
  };
  // Each chunk is one message of the chat: a blank line keeps it apart from the one before, as in `text`.
  let separator = '';
  if (streaming) this.sendChunk('begin', itemIndex);
  try {
    await lastValueFrom(
      send(session, inputEvents, callOptions.call(this)).pipe(
        tap((event) => {
          events.push(event);
          const markdown = streaming ? eventMarkdown(event, streamContent) : undefined;
          if (!markdown) return;
          this.sendChunk('item', itemIndex, separator + markdown);
          separator = '\n\n';
        }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    // Known as soon as the session started, so an error item can name the conversation to retry in.
    if (session.sessionId !== undefined) partial.sessionId = session.sessionId;
    // The customer's lock is released before the execution moves on.
    await client.sessionsIdle();
  }
  if (streaming) this.sendChunk('end', itemIndex);

  const pairedItem = { item: itemIndex };
  if (mode === 'events') for (const event of events) pushEvent(outputs, event, clientKey, pairedItem);
  else
    pushReply(outputs, { ...summarizeReply(events), sessionId: session.sessionId }, clientKey, pairedItem, rawEvents);
}
