// The item loop: runs each input item's operation, and turns a failure into the n8n error that stops the
// run or, with Continue On Fail, into an error item that keeps what was already known or received.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { Operation, PartialResult } from '../shared/context';
import { CUSTOM_API_CALLS } from '../shared/descriptions';
import { newOutputs, type Outputs, toNodeError } from '../shared/items';
import * as agent from './agent';
import * as health from './health';
import * as message from './message';
import * as session from './session';
import { type ConnectlyType, hasHandoverOutput } from './node.type';

/** Every resource's operations, typed on the node's map: a pair it names without an `execute` does not compile. */
type Operations = {
  [R in ConnectlyType['resource']]: Record<
    Extract<ConnectlyType, { resource: R }>['operation'],
    { execute: Operation }
  >;
};

const RESOURCES: Operations = { agent, health, message, session };

// Own properties only: a parameter such as "constructor" must not reach Object.prototype.
function operationFor({ resource, operation }: ConnectlyType): Operation | undefined {
  const operations: Record<string, { execute: Operation }> | undefined = Object.hasOwn(RESOURCES, resource)
    ? RESOURCES[resource]
    : undefined;
  return operations && Object.hasOwn(operations, operation) ? operations[operation]?.execute : undefined;
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const items = this.getInputData();
  const outputs = newOutputs();
  for (let itemIndex = 0; itemIndex < items.length; itemIndex += 1) {
    const partial: PartialResult = {};
    try {
      const resource = this.getNodeParameter('resource', itemIndex) as string;
      const operation = CUSTOM_API_CALLS.has(resource)
        ? resource
        : (this.getNodeParameter('operation', itemIndex) as string);
      if (CUSTOM_API_CALLS.has(operation)) {
        throw new NodeOperationError(this.getNode(), 'Connectly offers no custom API call', {
          itemIndex,
          description:
            'Its replies stream in as they are produced, which the HTTP Request node cannot read: use Agent → Send Message',
        });
      }
      const run = operationFor({ resource, operation } as ConnectlyType);
      if (!run) {
        throw new NodeOperationError(
          this.getNode(),
          `The operation "${operation}" is not supported for "${resource}"`,
          {
            itemIndex,
          },
        );
      }
      await run.call(this, itemIndex, outputs, partial);
    } catch (error) {
      const nodeError = toNodeError(this.getNode(), error, itemIndex);
      if (!this.continueOnFail()) throw nodeError;
      const json: IDataObject = { error: nodeError.message, ...JSON.parse(JSON.stringify(partial)) };
      if (nodeError.description) json.errorDescription = nodeError.description;
      // n8n swaps connection errors for its generic wording; keep ours, which names the host and the fix.
      const original = error instanceof Error ? error.message : undefined;
      if (original && original !== nodeError.message) json.errorDetails = original;
      // n8n moves an item to the node's error output ("On Error: Continue (using error output)") only when its
      // json holds nothing but error, message and details (an item's own `error` would make n8n cut the json
      // down to the message): so there, what was known or received travels under details.
      if (this.getNode().onError === 'continueErrorOutput') {
        const { error: message, ...details } = json;
        outputs[0].push({ json: { error: message, details }, pairedItem: { item: itemIndex } });
      } else {
        outputs[0].push({ json, pairedItem: { item: itemIndex } });
      }
    }
  }
  return shownOutputs.call(this, outputs);
}

/**
 * The outputs n8n shows for the operation (see CONFIGURED_OUTPUTS): both, or Reply alone. Resource and
 * operation take no expressions, so the first item's pair holds for all.
 */
function shownOutputs(this: IExecuteFunctions, outputs: Outputs): INodeExecutionData[][] {
  const resource = this.getNodeParameter('resource', 0, '') as string;
  const operation = this.getNodeParameter('operation', 0, '') as string;
  return hasHandoverOutput(resource, operation) ? outputs : [outputs[0]];
}
