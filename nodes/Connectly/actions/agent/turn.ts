// One turn of a conversation, shared by both Send Message operations: start a session if none was given,
// send the input, and output the events or the whole reply. `stream` picks invoke or invoke_sync.
import type { IExecuteFunctions } from 'n8n-workflow';
import {
  type AgentEvent,
  type CallOptions,
  type ConnectlyClient,
  type InvokeRequest,
  checkInputEvents,
  messageText,
  summarizeReply,
} from 'connectly-agent-graph';
import { type Observable, firstValueFrom, lastValueFrom, tap } from 'rxjs';
import { agentId, callOptions, type Partial, timeouts } from '../../shared/context';
import { type Outputs, pushEvent, pushReply } from '../../shared/items';
import { connectlyClient } from '../../shared/transport';
import { readInputEvents } from './fields';

type Send = (client: ConnectlyClient, request: InvokeRequest, options: CallOptions) => Observable<AgentEvent>;

export async function turn(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: Partial,
  send: Send,
): Promise<void> {
  const clientKey = this.getNodeParameter('clientKey', itemIndex) as string;
  let sessionId = ((this.getNodeParameter('sessionId', itemIndex, '') as string) || '').trim();
  // Checked before anything is sent, so bad input never starts a session.
  const inputEvents = checkInputEvents(readInputEvents.call(this, itemIndex));
  const mode = this.getNodeParameter('output', itemIndex) as 'reply' | 'events';
  partial.clientKey = clientKey;
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex));
  const options = callOptions.call(this);
  if (!sessionId) sessionId = (await firstValueFrom(client.init({ clientKey }, options))).sessionId;
  partial.sessionId = sessionId;

  const events: AgentEvent[] = [];
  partial.events = events as unknown as Partial[];
  const streaming = this.isStreaming();
  if (streaming) this.sendChunk('begin', itemIndex);
  await lastValueFrom(
    send(client, { clientKey, sessionId, inputEvents, ...agentId.call(this, itemIndex) }, options).pipe(
      tap((event) => {
        events.push(event);
        const text = streaming ? messageText(event) : undefined;
        if (text) this.sendChunk('item', itemIndex, text);
      }),
    ),
    { defaultValue: undefined },
  );
  if (streaming) this.sendChunk('end', itemIndex);

  if (mode === 'events') {
    const pairedItem = { item: itemIndex };
    for (const event of events) pushEvent(outputs, event, clientKey, itemIndex, pairedItem);
  } else pushReply(outputs, { ...summarizeReply(events), sessionId }, clientKey, itemIndex);
}
