#!/usr/bin/env node
// connectly-mock: runs the mock Connectly server until interrupted.

import { parseArgs } from 'node:util';
import { MockConnectlyServer } from './server.js';

const USAGE = `Usage: connectly-mock [--port 8080] [--host 127.0.0.1] [--api-key KEY] [--business-id ID] [--pacing-ms 120]
                      [--webhook-secret SECRET] [--chaos] [--chaos-seed N]

Serves the Connectly Agent Graph API (init, invoke, invoke_sync, close, health) with a scripted demo agent,
and the Message and Webhook APIs (/v1/businesses/{businessId}/…) with signed webhook deliveries.
Point a client at the printed URL. Send an "x-mock-fault" header (JSON) to inject a fault, e.g.
  x-mock-fault: {"status":503,"retryAfter":1}
A scripted customer writes to the business's registered webhook with
  POST /__mock/businesses/{businessId}/customers/{phone}/messages  {"text":"Hi"}
and GET on the same path lists what the business sent that customer.
--chaos duplicates about a third of the webhook deliveries and reorders them (each waits up to 50 ms),
as Connectly is free to: a receiver that handles it handles the real thing. --chaos-seed N replays one run.`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string' },
        'business-id': { type: 'string' },
        'pacing-ms': { type: 'string', default: '0' },
        'webhook-secret': { type: 'string' },
        chaos: { type: 'boolean' },
        'chaos-seed': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  const pacingMs = Number(values['pacing-ms']);
  const problem =
    !/^\d+$/.test(values.port) || port > 65535
      ? `bad port "${values.port}": --port must be a whole number from 0 to 65535 (0 picks a free one)`
      : !(pacingMs >= 0)
        ? `--pacing-ms must be a number of milliseconds ≥ 0, got "${values['pacing-ms']}"`
        : values['chaos-seed'] !== undefined && !/^\d+$/.test(values['chaos-seed'])
          ? `--chaos-seed must be a whole number, got "${values['chaos-seed']}"`
          : undefined;
  if (problem) {
    process.stderr.write(`${problem}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const server = new MockConnectlyServer({
    port,
    host: values.host,
    pacingMs,
    // A mock left running keeps what a test would look at, not every body it was ever sent.
    maxRecords: 1000,
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values['business-id'] ? { businessId: values['business-id'] } : {}),
    messaging: {
      ...(values['webhook-secret'] ? { webhookSecret: values['webhook-secret'] } : {}),
      ...(values.chaos || values['chaos-seed'] !== undefined
        ? { chaos: { seed: Number(values['chaos-seed'] ?? Date.now() % 2 ** 31) } }
        : {}),
    },
  });
  const url = await server.start().catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new Error(`port ${port} of ${values.host} is in use: pick another with --port, or --port 0 for a free one`);
  });
  process.stdout.write(`Mock Connectly server listening on ${url}\n`);
  const shutdown = (): void => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

void main().catch((error: unknown) => {
  process.stderr.write(`connectly-mock: ${(error as Error).message}\n`);
  process.exit(1);
});
