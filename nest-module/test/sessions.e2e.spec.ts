// Conversations through ConnectlyModule: a store given to forRoot (yours), one built by forRootAsync from
// configuration (the module's: closed on shutdown), and a shutdown mid-turn that lets go of the lock.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { echoReply, MockConnectlyServer } from 'connectly-agent-graph-mock';
import { ConnectlyAbortError, MemorySessionStore } from 'connectly-agent-graph';
import { RedisSessionStore } from 'connectly-session-redis';
import { CONNECTLY_SESSION_STORE, ConnectlyModule, ConnectlyService, type ResolvedSessionStore } from '../src/index.js';
import { type RunningRedis, startRedis } from '../../packages/session-redis/test/redis-server.cjs';

let mock: MockConnectlyServer;
let redis: RunningRedis;

beforeAll(async () => {
  mock = new MockConnectlyServer({ agent: echoReply });
  [redis] = await Promise.all([startRedis(), mock.start()]);
});
afterAll(async () => {
  await mock.stop();
  await redis.stop();
});
beforeEach(() => mock.reset());

function inits(): number {
  return mock.requests.filter((request) => request.endpoint === 'init').length;
}

@Injectable()
class ConfigService {
  get(name: string): string {
    return name === 'REDIS_URL' ? redis.url : mock.url;
  }
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

function redisModule() {
  return ConnectlyModule.forRootAsync({
    imports: [ConfigModule],
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      apiKey: 'nest-key',
      businessId: 'biz',
      baseUrl: config.get('CONNECTLY_BASE_URL'),
      sessionStore: () => new RedisSessionStore({ url: config.get('REDIS_URL'), prefix: `nest-${Date.now()}:` }),
    }),
  });
}

it('forRoot with a store: every session() of a customer continues one conversation; your store stays open', async () => {
  const store = new MemorySessionStore();
  const close = jest.spyOn(store, 'close');
  const app = await Test.createTestingModule({
    imports: [
      ConnectlyModule.forRoot({ apiKey: 'nest-key', businessId: 'biz', baseUrl: mock.url, sessionStore: store }),
    ],
  }).compile();
  const connectly = app.get(ConnectlyService);
  const first = await connectly.session({ clientKey: 'alice' }).reply('hello');
  const second = await connectly.session({ clientKey: 'alice' }).reply('again');
  expect(second.sessionId).toBe(first.sessionId);
  expect(second.text).toBe('heard: again');
  expect(inits()).toBe(1);
  await app.close();
  expect(close).not.toHaveBeenCalled();
});

it('forRootAsync builds a Redis store from configuration and closes it on shutdown', async () => {
  const app = await Test.createTestingModule({ imports: [redisModule()] }).compile();
  const connectly = app.get(ConnectlyService);
  const resolved = app.get<ResolvedSessionStore>(CONNECTLY_SESSION_STORE);
  expect(resolved.owned).toBe(true);
  expect(resolved.store).toBeInstanceOf(RedisSessionStore);
  const replies = await Promise.all(['a', 'b', 'c'].map((text) => connectly.session({ clientKey: 'bob' }).reply(text)));
  expect(new Set(replies.map((reply) => reply.sessionId)).size).toBe(1);
  expect(inits()).toBe(1);
  await app.close();
  expect((resolved.store as RedisSessionStore).client.status).toBe('end');
});

it('a shutdown mid-turn ends the turn and releases its lock, so another instance carries on at once', async () => {
  const prefix = `nest-shutdown-${Date.now()}:`;
  const build = () =>
    Test.createTestingModule({
      imports: [
        ConnectlyModule.forRoot({
          apiKey: 'nest-key',
          businessId: 'biz',
          baseUrl: mock.url,
          sessionLeaseMs: 60_000, // a lock left behind would block the second instance for a minute
          sessionStore: () => new RedisSessionStore({ url: redis.url, prefix }),
        }),
      ],
    }).compile();
  const [first, second] = await Promise.all([build(), build()]);
  await first.get(ConnectlyService).session({ clientKey: 'carol' }).reply('hi');
  mock.inject({ endpoint: 'invoke', stall: 'headers' });
  const invoked = new Promise<void>((resolve) =>
    mock.on('request', (request: { endpoint: string }) => request.endpoint === 'invoke' && resolve()),
  );
  const cut = first.get(ConnectlyService).session({ clientKey: 'carol' }).reply('cut off');
  await invoked;
  await first.close();
  await expect(cut).rejects.toBeInstanceOf(ConnectlyAbortError);
  const reply = await second.get(ConnectlyService).session({ clientKey: 'carol' }).reply('still here?');
  expect(reply.text).toBe('heard: still here?');
  expect(inits()).toBe(1);
  await second.close();
});
