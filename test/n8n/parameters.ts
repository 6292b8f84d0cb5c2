// The Connectly node's parameters for the operations the specs run most, in the specs' own words.
import type { IDataObject } from 'n8n-workflow';

/** Agent → Send Message of a text: the customer's remembered session, the conversation held on a handover. */
export const sendMessage = (clientKey: string, text: string, more: IDataObject = {}): IDataObject => ({
  resource: 'agent',
  operation: 'sendMessage',
  clientKey,
  sessionId: '',
  sessionMemory: 'remember',
  inputType: 'text',
  text,
  output: 'reply',
  holdOnHandover: true,
  options: {},
  ...more,
});

/** Message → Send of a text the workflow writes. */
export const sendText = (to: string, text: string): IDataObject => ({
  resource: 'message',
  operation: 'send',
  to,
  content: 'text',
  text,
  options: {},
});
