// What every operation is and reads the same way: its signature, the call options and the optional agent.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { type CallOptions, MAX_TIMER_DELAY_MS } from 'connectly-agent-graph';
import type { Outputs } from './items';
import type { ClientTimeouts } from './transport';

/** Filled by an operation as it goes, so an error item can still carry what was already known or received. */
export type PartialResult = IDataObject;

/** One operation on one input item: it pushes its items onto `outputs`. */
export type Operation = (
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
) => Promise<void>;

/** The longest time field the core accepts (what a timer can wait), in whole seconds. */
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_DELAY_MS / 1000);

const TIME_FIELDS = { timeout: 'Timeout (Seconds)', idleTimeout: 'Idle Timeout (Seconds)' } as const;

export function timeouts(this: IExecuteFunctions, itemIndex: number): ClientTimeouts {
  const options = this.getNodeParameter('options', itemIndex, {}) as {
    timeout?: number;
    idleTimeout?: number;
    retries?: number;
  };
  // An expression can bypass the fields' limits, so they are checked here with the field's own name.
  for (const [name, label] of Object.entries(TIME_FIELDS)) {
    const value = options[name as keyof typeof TIME_FIELDS];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMEOUT_SECONDS) {
      throw new NodeOperationError(
        this.getNode(),
        `${label} must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (about 24 days), got ${String(value)}`,
        {
          itemIndex,
          description: `Set ${label} to at most ${MAX_TIMEOUT_SECONDS}, or remove the option to use the default`,
        },
      );
    }
  }
  return {
    ...(options.timeout ? { timeoutMs: options.timeout * 1000 } : {}),
    ...(options.idleTimeout ? { idleTimeoutMs: options.idleTimeout * 1000 } : {}),
    ...(options.retries !== undefined ? { maxRetries: options.retries } : {}),
  };
}

/** The execution's cancel signal: stopping the workflow aborts the request. */
export function callOptions(this: IExecuteFunctions): CallOptions {
  const signal = this.getExecutionCancelSignal();
  return signal ? { signal } : {};
}

export function agentId(this: IExecuteFunctions, itemIndex: number): { agentId?: string } {
  const options = this.getNodeParameter('options', itemIndex, {}) as { agentId?: string };
  return options.agentId ? { agentId: options.agentId } : {};
}

/** What a run did, as the Executions list of n8n can show it (the run's custom data, key "Connectly"). */
export type RunOutcome =
  | 'agent replied'
  | 'handed over to a person'
  | 'held for a person'
  | 'teammate replied'
  | 'handed back to the agent'
  | 'a repeat already taken';

/**
 * Marks the run with what this node did. n8n shows a run's custom data in its execution details and filters
 * the Executions list by it; a run of several items keeps what its last item did. Versions of n8n without
 * custom data for nodes, and runs without it, go unmarked.
 */
export function markRun(this: IExecuteFunctions, outcome: RunOutcome): void {
  try {
    const custom = (this as IExecuteFunctions & { customData?: { set(key: string, value: string): void } }).customData;
    custom?.set('Connectly', outcome);
  } catch {
    // Not available in this context: the run is simply not marked.
  }
}
