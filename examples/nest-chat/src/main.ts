// Starts the chat example. With CONNECTLY_API_KEY and CONNECTLY_BUSINESS_ID set it talks to Connectly;
// without them it starts the mock Connectly server first and talks to that.

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { AppModule } from './app.module.js';

async function main(): Promise<void> {
  let mock: MockConnectlyServer | undefined;
  if (!process.env['CONNECTLY_API_KEY']) {
    mock = new MockConnectlyServer({ pacingMs: 250 });
    process.env['CONNECTLY_BASE_URL'] = await mock.start();
    process.env['CONNECTLY_API_KEY'] = 'mock-key';
    process.env['CONNECTLY_BUSINESS_ID'] = 'demo-business';
    process.stdout.write(
      `No CONNECTLY_API_KEY set: using the mock Connectly server at ${process.env['CONNECTLY_BASE_URL']}\n`,
    );
  }
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env['PORT'] ?? 3000), process.env['HOST'] ?? '127.0.0.1');
  process.stdout.write(`Chat example listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}\n`);
  const stop = async (): Promise<void> => {
    await app.close();
    await mock?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
