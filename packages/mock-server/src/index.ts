// The public API of connectly-agent-graph-mock.

export { API_PATH } from 'connectly-agent-graph/wire';
export { MockConnectlyServer, start } from './server.js';
export type { MockServerOptions, MockSession, RecordedRequest, StreamRecord } from './server-types.js';
export { type Fault, type MockEndpoint, codeForStatus, parseFaultHeader } from './agent/faults.js';
export { demoReply, echoReply, CATALOG } from './agent/demo-agent.js';
export { MockMessaging } from './messaging/messaging.js';
export type {
  MockMessagingOptions,
  MockTemplate,
  MockWebhook,
  MessagingResponse,
  SentMessage,
} from './messaging/types.js';
export { MockCustomer, type ButtonReplyShape } from './messaging/customer.js';
export {
  type WebhookDelivery,
  type DeliveryAttempt,
  type ChaosOptions,
  SIGNATURE_HEADER,
  sign,
} from './messaging/deliveries.js';
