// One turn of a conversation, shared by both Send Message operations: the session given (or a new one),
// the input sent, and the events or the whole reply output. `send` picks invoke or invoke_sync. A held
// conversation's messages go to the Handover output instead, kept for the agent until its release.
import type { IExecuteFunctions } from 'n8n-workflow';
import {
  type AgentEvent,
  type AgentSession,
  type CallOptions,
  type ConnectlyClient,
  type ConversationState,
  type InputEvent,
  summarizeReply,
  turnNotProcessed,
} from 'connectly-agent-graph';
import { EMPTY, type Observable, catchError, lastValueFrom, tap, throwError } from 'rxjs';
import { agentId, callOptions, markRun, type PartialResult, timeouts } from '../../shared/context';
import { conversationState, noteItemInbound } from '../../shared/conversation-state';
import { HoldWatch, holdOnHandover, pushHeld } from '../../shared/holds';
import { type Outputs, pushEvent, pushReply } from '../../shared/items';
import { type StreamContent, eventMarkdown } from '../../shared/markdown';
import { connectlyClient } from '../../shared/transport';
import { type VersionDefaults, versionDefaults } from '../../shared/versions';
import { actOnce, markRepeat } from '../../shared/repeats';
import { readInputEvents, withOfferedChoice } from './fields';

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
  const written = readInputEvents.call(this, itemIndex);
  partial.clientKey = clientKey;
  // With an empty Session ID the customer's remembered session is continued (or one started and
  // remembered), unless the user asked for a new session every time (version 1's default).
  const defaults = versionDefaults.call(this);
  const remember =
    !sessionId && this.getNodeParameter('sessionMemory', itemIndex, defaults.sessionMemory) === 'remember';
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex), remember ? { itemIndex } : undefined);
  const state = await conversationState.call(this, client.businessId, itemIndex);
  const conversation: Conversation = { clientKey, sessionId, written, defaults, client, state };
  const acted = await actOnce.call(this, itemIndex, state, () =>
    answer.call(this, itemIndex, outputs, partial, send, conversation),
  );
  if (!acted) markRepeat.call(this);
}

interface Conversation {
  clientKey: string;
  sessionId: string;
  written: InputEvent[];
  defaults: VersionDefaults;
  client: ConnectlyClient;
  state: ConversationState;
}

/** The turn itself: held for a person, or the agent asked and its reply output. */
async function answer(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
  send: Send,
  { clientKey, sessionId, written, defaults, client, state }: Conversation,
): Promise<void> {
  const mode = this.getNodeParameter('output', itemIndex) as 'reply' | 'events';
  await noteItemInbound.call(this, itemIndex, state, clientKey);
  const inputEvents = await withOfferedChoice.call(this, itemIndex, written, state, clientKey);
  if ((await state.hold(clientKey)) !== undefined) {
    // Kept for the agent, to hear when the conversation is given back.
    await state.keepMeanwhile(clientKey, inputEvents);
    await pushHeld(outputs, state, clientKey, inputEvents, itemIndex);
    markRun.call(this, 'held for a person');
    this.addExecutionHints?.({
      message:
        'The agent was not asked: a person has this conversation. The message went to the Handover output and waits for the agent until the conversation is given back.',
      location: 'outputPane',
    });
    return;
  }
  // What was said while a person had the conversation goes first: the agent hears every event since its last call.
  const taken = await state.takeMeanwhile(clientKey);
  const pending = taken.inputEvents;
  const restore = () => state.restoreMeanwhile(clientKey, taken);
  let restoring: Promise<void> | undefined;
  if (pending.length > 0) partial.resumedEvents = pending as unknown as PartialResult[];
  const sent = pending.length > 0 ? [...pending, ...inputEvents] : inputEvents;
  const session = client.session({
    clientKey,
    ...(sessionId ? { sessionId } : {}),
    ...agentId.call(this, itemIndex),
  });

  const events: AgentEvent[] = [];
  partial.events = events as unknown as PartialResult[];
  const streaming = this.isStreaming();
  const { streamContent = 'all', rawEvents = defaults.rawEvents } = this.getNodeParameter('options', itemIndex, {}) as {
    streamContent?: StreamContent;
    rawEvents?: boolean;
  };
  // Each chunk is one message of the chat: a blank line keeps it apart from the one before, as in `text`.
  let separator = '';
  if (streaming) this.sendChunk('begin', itemIndex);
  const watch = new HoldWatch(state, clientKey, callOptions.call(this).signal);
  try {
    await lastValueFrom(
      send(session, sent, { signal: watch.signal }).pipe(
        tap((event) => {
          events.push(event);
          const markdown = streaming ? eventMarkdown(event, streamContent) : undefined;
          if (!markdown) return;
          this.sendChunk('item', itemIndex, separator + markdown);
          separator = '\n\n';
        }),
        // What was said meanwhile waits for the next turn again, unless Connectly may have heard it.
        tap({ error: (error: unknown) => void (turnNotProcessed(error) && (restoring = restore())) }),
        // A person took the conversation over meanwhile: the turn ends here, with nothing to send.
        catchError((error: unknown) => (watch.hold ? EMPTY : throwError(() => error))),
      ),
      { defaultValue: undefined },
    );
  } finally {
    watch.stop();
    await restoring;
    // Known as soon as the session started, so an error item can name the conversation to retry in.
    if (session.sessionId !== undefined) partial.sessionId = session.sessionId;
    // The customer's lock is released before the execution moves on.
    await client.sessionsIdle();
  }
  if (streaming) this.sendChunk('end', itemIndex);
  if (watch.hold !== undefined) {
    await pushHeld(outputs, state, clientKey, inputEvents, itemIndex);
    Object.assign(outputs[1][outputs[1].length - 1]!.json, { stoppedMidTurn: true });
    markRun.call(this, 'held for a person');
    return;
  }

  const handoversBefore = outputs[1].length;
  const pairedItem = { item: itemIndex };
  if (mode === 'events') for (const event of events) pushEvent(outputs, event, clientKey, pairedItem);
  else
    pushReply(outputs, { ...summarizeReply(events), sessionId: session.sessionId }, clientKey, pairedItem, rawEvents);
  if (this.getNodeParameter('holdOnHandover', itemIndex, false) === true) {
    await holdOnHandover(outputs[1].slice(handoversBefore), state, clientKey);
  }
  markRun.call(this, outputs[1].length > handoversBefore ? 'handed over to a person' : 'agent replied');
}
