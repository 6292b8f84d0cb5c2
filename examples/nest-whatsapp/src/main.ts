// Starts the WhatsApp agent example. With CONNECTLY_API_KEY set it talks to Connectly (set
// CONNECTLY_BUSINESS_ID, CONNECTLY_WEBHOOK_SECRET and PUBLIC_URL too); without it, it starts the mock
// Connectly server, lets a scripted customer talk to the app, and prints the conversation.

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { AppModule } from './app.module.js';

async function demo(mock: MockConnectlyServer): Promise<void> {
  const customer = mock.customer('+15550001234', { name: 'Ana' });
  for (const text of ['I want a festive gift', 'Can I talk to a human?', 'Hello? Anyone there?']) {
    const before = customer.received.length;
    process.stdout.write(`\ncustomer › ${text}\n`);
    await customer.says(text);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const sent of customer.received.slice(before))
      process.stdout.write(`business › ${JSON.stringify(sent.message)}\n`);
  }
}

async function main(): Promise<void> {
  let mock: MockConnectlyServer | undefined;
  if (!process.env['CONNECTLY_API_KEY']) {
    mock = new MockConnectlyServer({ businessId: 'demo-business', messaging: { webhookSecret: 'demo-secret' } });
    process.env['CONNECTLY_BASE_URL'] = await mock.start();
    process.env['CONNECTLY_API_KEY'] = 'mock-key';
    process.env['CONNECTLY_BUSINESS_ID'] = 'demo-business';
    process.env['CONNECTLY_WEBHOOK_SECRET'] = 'demo-secret';
  }
  const host = process.env['HOST'] ?? '127.0.0.1';
  const port = Number(process.env['PORT'] ?? 3000);
  process.env['PUBLIC_URL'] ??= `http://${host}:${port}`;
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(port, host);
  const stop = async (): Promise<void> => {
    await app.close();
    await mock?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (mock) {
    await demo(mock);
    await stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
