// A delivery acted on once across n8n processes. The Connectly Trigger claims each delivery in its own
// process, so with several webhook processes (or after a restart) a redelivery that reaches another one
// starts a second execution of the same message. With Shared State, the Connectly node claims the
// Trigger's delivery (its `deliveryId`, the signature the Trigger took it by) in the memory before acting
// on it: the first execution to get there acts, and a repeat finds it taken and does nothing.
import type { IExecuteFunctions, WorkflowExecuteMode } from 'n8n-workflow';
import type { ConversationState } from 'connectly-agent-graph';
import { triggerMarks } from '../../ConnectlyTrigger/items';
import { markRun } from './context';
import { isShared } from './conversation-state';

/** The longest Max Delivery Age the Trigger accepts, in minutes: no repeat is taken later than that. */
export const MAX_DELIVERY_AGE_LIMIT_MINUTES = 60;

/** How long a delivery acted on is known, so that its repeats are told apart: twice the longest Max Delivery Age. */
const KEEP_MS = 2 * MAX_DELIVERY_AGE_LIMIT_MINUTES * 60_000;

/**
 * How long an execution acting on a delivery holds it before a repeat may act instead: longer than any
 * redelivery comes, so only a run whose worker died mid-way gives it up this way.
 */
const LEASE_MS = 10 * 60_000;

/** Runs a person started on purpose (a test in the editor, a retry): they act again, as asked. */
const ON_PURPOSE: ReadonlySet<WorkflowExecuteMode> = new Set(['manual', 'retry', 'evaluation']);

/** The input item's delivery, as the Connectly Trigger marked it; undefined when it is not one to claim. */
function deliveryOf(this: IExecuteFunctions, itemIndex: number, state: ConversationState): string | undefined {
  if (!isShared(state)) return undefined;
  const mode = typeof this.getMode === 'function' ? this.getMode() : undefined;
  if (mode === undefined || ON_PURPOSE.has(mode)) return undefined;
  return triggerMarks(this.getInputData()[itemIndex]?.json).deliveryId;
}

/**
 * Runs `act` for the item unless another execution already acted on (or is acting on) the same delivery
 * with this node: then it returns false and `act` does not run. Claimed only with Shared State, in
 * executions a delivery started, and for items that carry the Trigger's `deliveryId`; the claim is
 * released when `act` throws, so a later run of the delivery may act.
 */
export async function actOnce(
  this: IExecuteFunctions,
  itemIndex: number,
  state: ConversationState,
  act: () => Promise<void>,
): Promise<boolean> {
  const delivery = deliveryOf.call(this, itemIndex, state);
  if (delivery === undefined) {
    await act();
    return true;
  }
  // Per node: the same delivery may go through several Connectly nodes of a workflow, each acting once.
  const claim = await state.claim(`${this.getNode().id} ${delivery}`, LEASE_MS);
  if (claim.state !== 'claimed') return false;
  let done = false;
  try {
    await act();
    done = true;
  } finally {
    // Failed: given up, so that a later run of the delivery may act (the run's own error stands).
    if (!done) await state.release(claim).catch(() => undefined);
  }
  // The run did its work: a memory that cannot take the mark now fails nothing of it. The claim then
  // lapses with its lease, and only a repeat later than that would act again.
  await state.complete(claim, KEEP_MS).catch((error: unknown) => {
    this.logger.warn(`Connectly: could not mark delivery as done in Shared State: ${(error as Error).message}`);
  });
  return true;
}

/** Marks the run as a repeat, and tells the user why it produced nothing. */
export function markRepeat(this: IExecuteFunctions): void {
  markRun.call(this, 'a repeat already taken');
  this.addExecutionHints?.({
    message:
      'Nothing was done: another execution already took this delivery (Connectly delivered it again, to another n8n process or after a restart), as the Shared State memory knows.',
    location: 'outputPane',
  });
}
