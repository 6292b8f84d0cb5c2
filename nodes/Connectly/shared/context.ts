// What every operation is and reads the same way: its signature, the call options and the optional agent.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import type { CallOptions } from 'connectly-agent-graph';
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

export function timeouts(this: IExecuteFunctions, itemIndex: number): ClientTimeouts {
  const options = this.getNodeParameter('options', itemIndex, {}) as {
    timeout?: number;
    idleTimeout?: number;
    retries?: number;
  };
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
