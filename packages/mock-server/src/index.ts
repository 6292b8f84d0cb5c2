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
