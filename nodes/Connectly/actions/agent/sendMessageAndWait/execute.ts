// Agent → Send Message and Wait: the same turn through invoke_sync, answered in one piece.
import type { IExecuteFunctions } from 'n8n-workflow';
import type { PartialResult } from '../../../shared/context';
import type { Outputs } from '../../../shared/items';
import { turn } from '../turn';

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  await turn.call(this, itemIndex, outputs, partial, (session, inputEvents, options) =>
    session.sendSync(inputEvents, options),
  );
}
