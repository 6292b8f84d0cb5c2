// The benchmark's NestJS app in its own process: node bench/nest-app.js <Connectly base URL> [connections]
//   (connections caps the client's pool per origin, e.g. to keep inbound + outbound sockets under the
//   process's file-descriptor limit)
//   GET  /chat?clientKey=…&sessionId=…   one turn as server-sent events, through toSse(ConnectlyService.invoke())
//   GET  /turn?clientKey=…               one turn of ConnectlyService.session() in the in-memory session store
//                                         (the first turn of a customer starts the session), as SSE
//   GET  /memory[?gc=1]                   { rssMB, peakRssMB, heapUsedMB, cpuMs } of this process; the peak resets on read;
//                                         gc=1 collects garbage first (with node --expose-gc)
// Prints {"url": …} once listening; stops on SIGTERM.
'use strict';

require('reflect-metadata');
const { Controller, Get, Module, Query, Sse } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { MemorySessionStore } = require('../packages/agent-graph/dist');
const { ConnectlyModule, ConnectlyService, toSse } = require('../nest-module/dist');
const { decorator, param } = require('./lib/nest');

const baseUrl = process.argv[2];
const connections = process.argv[3] === undefined ? undefined : Number(process.argv[3]);

class ChatController {
  constructor(connectly) {
    this.connectly = connectly;
  }

  chat(clientKey, sessionId) {
    return toSse(() => this.connectly.invoke({ clientKey, sessionId, text: 'I want a festive gift' }));
  }

  turn(clientKey) {
    return toSse(() => this.connectly.session({ clientKey }).send('I want a festive gift'));
  }

  memory(gc) {
    if (gc === '1') global.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    const out = {
      rssMB: rss / 1048576,
      peakRssMB: Math.max(peak, rss) / 1048576,
      heapUsedMB: heapUsed / 1048576,
      cpuMs: (user + system) / 1000,
    };
    peak = rss;
    return out;
  }
}

// The decorators a TypeScript controller would carry, applied by hand in plain JavaScript.
const decorate = decorator(ChatController);
decorate('chat', Sse('chat'), param(Query('clientKey'), 0), param(Query('sessionId'), 1));
decorate('turn', Sse('turn'), param(Query('clientKey'), 0));
decorate('memory', Get('memory'), param(Query('gc'), 0));
Reflect.decorate([Controller()], ChatController);
Reflect.defineMetadata('design:paramtypes', [ConnectlyService], ChatController);

class AppModule {}
Module({
  imports: [
    ConnectlyModule.forRoot({
      apiKey: 'bench-key',
      businessId: 'bench',
      baseUrl,
      idleTimeoutMs: 0,
      maxRetries: 0,
      sessionStore: new MemorySessionStore(),
      ...(connections === undefined ? {} : { pool: { connections } }),
    }),
  ],
  controllers: [ChatController],
})(AppModule);

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);

NestFactory.create(AppModule, { logger: false }).then(async (app) => {
  // A backlog as deep as the kernel allows (net.core.somaxconn), for thousands of customers arriving at once.
  await app.init();
  const server = app.getHttpServer();
  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
  process.on('SIGTERM', () => {
    clearInterval(sampler);
    app.close().then(() => process.exit(0));
  });
});
