// Handover holds as the node shows them: the item a held conversation's message becomes on the Handover
// output, and the hold a handover starts when the operation asks for it. The holds themselves are the
// core's (ConversationState, conversation-state.ts): set with a TTL, never forgotten to make room.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import {
  AGENT_HOLD,
  ConnectlyAbortError,
  type ConversationHold,
  type ConversationState,
  type InputEvent,
} from 'connectly-agent-graph';
import { holdFields, textOf } from './conversation-state';
import type { Outputs } from './items';
import { sleep } from './platform';

// How often a running turn looks for a hold: a person taking over stops the turn within this.
const HOLD_WATCH_MS = 500;

/**
 * Watches for a person taking the conversation while the agent's turn runs: the hold is read every half
 * second on n8n's clock, and once one is set the turn is stopped (`signal` aborts): its reply is no
 * longer wanted, the person answers now. `hold` is the hold that stopped it; `stop()` ends the watch.
 */
export class HoldWatch {
  hold: ConversationHold | undefined;
  readonly #turn = new AbortController();
  readonly #watch = new AbortController();

  constructor(state: ConversationState, clientKey: string, cancel: AbortSignal | undefined) {
    const onCancel = (): void => this.#turn.abort(cancel?.reason);
    if (cancel?.aborted) onCancel();
    cancel?.addEventListener('abort', onCancel, { once: true });
    this.#watch.signal.addEventListener('abort', () => cancel?.removeEventListener('abort', onCancel), { once: true });
    void this.run(state, clientKey);
  }

  /** The turn's signal: the execution's cancellation, or a hold set meanwhile. */
  get signal(): AbortSignal {
    return this.#turn.signal;
  }

  stop(): void {
    this.#watch.abort();
  }

  private async run(state: ConversationState, clientKey: string): Promise<void> {
    while (!this.#watch.signal.aborted) {
      try {
        await sleep(HOLD_WATCH_MS, this.#watch.signal);
        const hold = await state.hold(clientKey);
        if (hold === undefined || this.#watch.signal.aborted) continue;
        this.hold = hold;
        this.#turn.abort(new ConnectlyAbortError('invoke', 'by a person taking the conversation over'));
        return;
      } catch {
        // Stopped, or the store could not be read: Message → Send still checks the hold before sending.
        if (this.#watch.signal.aborted) return;
      }
    }
  }
}

/** A message of a held conversation, on the Handover output for the person who has it. */
export async function pushHeld(
  outputs: Outputs,
  state: ConversationState,
  clientKey: string,
  inputEvents: readonly InputEvent[],
  itemIndex: number,
): Promise<void> {
  const text = textOf(inputEvents);
  outputs[1].push({
    json: {
      clientKey,
      ...(text !== undefined ? { text } : {}),
      ...(await holdFields(state, clientKey)),
      inputEvents: inputEvents as unknown as IDataObject[],
    },
    pairedItem: { item: itemIndex },
  });
}

/** Holds the conversation when the turn handed over (its items on the Handover output), and says so on them. */
export async function holdOnHandover(
  handoverItems: INodeExecutionData[],
  state: ConversationState,
  clientKey: string,
): Promise<void> {
  if (handoverItems.length === 0) return;
  const reason = handoverItems.map((item) => item.json.reason).find((value) => typeof value === 'string');
  await state.holdFor(clientKey, AGENT_HOLD, (reason as string | undefined) ?? 'The agent handed over');
  for (const item of handoverItems) item.json.held = true;
}

/** The Customer Key parameter, which must name someone: a hold is kept per customer. */
export function readCustomer(this: IExecuteFunctions, itemIndex: number): string {
  const clientKey = this.getNodeParameter('clientKey', itemIndex, '') as unknown;
  if (typeof clientKey !== 'string' || clientKey.trim() === '') {
    throw new NodeOperationError(this.getNode(), 'Customer Key is empty: there is no conversation to act on', {
      itemIndex,
      description:
        'Map the customer into Customer Key: {{ $json.clientKey }} after the Connectly Trigger or Agent → Send Message',
    });
  }
  return clientKey;
}
