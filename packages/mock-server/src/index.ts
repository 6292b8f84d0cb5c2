// The public API of connectly-agent-graph-mock.

export {
  MockConnectlyServer,
  start,
  API_PATH,
  type MockServerOptions,
  type MockSession,
  type RecordedRequest,
  type StreamRecord,
} from './server.js';
export { type Fault, type MockEndpoint, codeForStatus, parseFaultHeader } from './faults.js';
export { demoReply, echoReply, CATALOG } from './agent.js';
export {
  MockMessaging,
  type MockMessagingOptions,
  type MockTemplate,
  type MockWebhook,
  type MessagingResponse,
  type SentMessage,
} from './messaging/messaging.js';
export { MockCustomer, type ButtonReplyShape } from './messaging/customer.js';
export {
  type WebhookDelivery,
  type DeliveryAttempt,
  type ChaosOptions,
  SIGNATURE_HEADER,
  sign,
} from './messaging/deliveries.js';
