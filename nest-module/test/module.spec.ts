// ConnectlyModule registration, with @nestjs/testing: every form, global or not, validation, overrides.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConnectlyClient, ConnectlyMessagingClient, type FetchLike } from 'connectly-agent-graph';
import {
  CONNECTLY_CLIENT,
  CONNECTLY_MESSAGING_CLIENT,
  CONNECTLY_MESSAGING_OPTIONS,
  CONNECTLY_MODULE_OPTIONS,
  CONNECTLY_SESSION_STORE,
  CONNECTLY_TURN_LOG,
  ConnectlyMessagingService,
  ConnectlyModule,
  type ConnectlyModuleOptions,
  type ConnectlyOptionsFactory,
  ConnectlyService,
  InjectConnectlyOptions,
} from '../src/index.js';

const options: ConnectlyModuleOptions = { apiKey: 'nest-key', businessId: 'biz', baseUrl: 'http://127.0.0.1:1' };

@Injectable()
class ConfigService {
  get(): ConnectlyModuleOptions {
    return options;
  }
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

@Injectable()
class OptionsFactory implements ConnectlyOptionsFactory {
  createConnectlyOptions(): ConnectlyModuleOptions {
    return { ...options, businessId: 'from-class' };
  }
}

@Injectable()
class FeatureService {
  constructor(
    readonly connectly: ConnectlyService,
    @InjectConnectlyOptions() readonly options: ConnectlyModuleOptions,
  ) {}
}

describe('ConnectlyModule', () => {
  it('forRoot provides ConnectlyService with a client built from the options', async () => {
    const app = await Test.createTestingModule({ imports: [ConnectlyModule.forRoot(options)] }).compile();
    const service = app.get(ConnectlyService);
    expect(service.client).toBeInstanceOf(ConnectlyClient);
    expect(service.client.businessId).toBe('biz');
    expect(service.client.baseUrl).toBe('http://127.0.0.1:1');
    expect(app.get(CONNECTLY_CLIENT)).toBe(service.client);
    await app.close();
  });

  it('forRootAsync with imports, inject and useFactory', async () => {
    const app = await Test.createTestingModule({
      imports: [
        ConnectlyModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => config.get(),
        }),
      ],
    }).compile();
    expect(app.get(ConnectlyService).client.businessId).toBe('biz');
    await app.close();
  });

  it('forRootAsync with useClass', async () => {
    const app = await Test.createTestingModule({
      imports: [ConnectlyModule.forRootAsync({ useClass: OptionsFactory })],
    }).compile();
    expect(app.get(ConnectlyService).client.businessId).toBe('from-class');
    await app.close();
  });

  it('forRootAsync with useExisting', async () => {
    @Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
    class FactoryModule {}
    const app = await Test.createTestingModule({
      imports: [ConnectlyModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory })],
    }).compile();
    expect(app.get(ConnectlyService).client.businessId).toBe('from-class');
    await app.close();
  });

  it('isGlobal makes the service injectable in modules that do not import it, and is not an option', async () => {
    @Module({ providers: [FeatureService] })
    class FeatureModule {}
    const app = await Test.createTestingModule({
      imports: [ConnectlyModule.forRoot({ ...options, isGlobal: true }), FeatureModule],
    }).compile();
    const feature = app.get(FeatureService);
    expect(feature.connectly).toBeInstanceOf(ConnectlyService);
    expect(feature.options).toEqual(options);
    expect(app.get(CONNECTLY_MODULE_OPTIONS)).not.toHaveProperty('isGlobal');
    await app.close();
  });

  it('without isGlobal, a module that does not import it cannot inject it', async () => {
    @Module({ providers: [FeatureService] })
    class FeatureModule {}
    await expect(
      Test.createTestingModule({ imports: [ConnectlyModule.forRoot(options), FeatureModule] }).compile(),
    ).rejects.toThrow(/ConnectlyService/);
  });

  it.each([
    [{ businessId: 'biz' }, /ConnectlyModule options are invalid: `apiKey` is required/],
    [{ ...options, baseUrl: 'not a url' }, /ConnectlyModule options are invalid: `baseUrl` must be an http\(s\) URL/],
    [{ ...options, timeout: 5 }, /Unknown option `timeout`/],
  ])('fails the bootstrap on bad options (%j)', async (bad, message) => {
    await expect(
      Test.createTestingModule({ imports: [ConnectlyModule.forRoot(bad as ConnectlyModuleOptions)] }).compile(),
    ).rejects.toThrow(message);
  });

  it('fails the bootstrap on bad options from an async factory too', async () => {
    await expect(
      Test.createTestingModule({
        imports: [ConnectlyModule.forRootAsync({ useFactory: async () => ({ ...options, maxRetries: -1 }) })],
      }).compile(),
    ).rejects.toThrow(/`maxRetries` must be a whole number/);
  });

  it('lets tests replace the client through CONNECTLY_CLIENT', async () => {
    const fake = { health: () => ({ subscribe: () => undefined }) };
    const app = await Test.createTestingModule({ imports: [ConnectlyModule.forRoot(options)] })
      .overrideProvider(CONNECTLY_CLIENT)
      .useValue(fake)
      .compile();
    expect(app.get(ConnectlyService).client).toBe(fake);
    await app.close();
  });

  it('lets tests replace ConnectlyService itself', async () => {
    const fake = { ping: async () => true };
    const app = await Test.createTestingModule({ imports: [ConnectlyModule.forRoot(options)] })
      .overrideProvider(ConnectlyService)
      .useValue(fake)
      .compile();
    expect(app.get(ConnectlyService)).toBe(fake);
    await app.close();
  });
});

describe('injection tokens', () => {
  it('are the client classes and Symbols: inject a client by its type; a string of the same name finds nothing', async () => {
    const app = await Test.createTestingModule({
      imports: [ConnectlyModule.forRoot({ ...options, messaging: { webhookSecret: 'secret' } })],
    }).compile();
    expect(app.get(ConnectlyClient)).toBe(app.get(ConnectlyService).client);
    expect(app.get(ConnectlyMessagingClient)).toBe(app.get(ConnectlyMessagingService).client);
    expect(CONNECTLY_CLIENT).toBe(ConnectlyClient);
    expect(CONNECTLY_MESSAGING_CLIENT).toBe(ConnectlyMessagingClient);
    for (const token of [
      CONNECTLY_MODULE_OPTIONS,
      CONNECTLY_MESSAGING_OPTIONS,
      CONNECTLY_SESSION_STORE,
      CONNECTLY_TURN_LOG,
    ]) {
      expect(typeof token).toBe('symbol');
      expect(() => app.get(token.description as string)).toThrow();
      expect(app.get(token)).toBeDefined();
    }
    await app.close();
  });
});

describe('one configuration for the agent and the Message API', () => {
  it('gives the Message API client the business, address and request settings, and its own key when given', async () => {
    const sent: Array<{ url: string; key: string | undefined }> = [];
    const fetch: FetchLike = async (url, init) => {
      sent.push({ url, key: init.headers['x-api-key'] });
      throw new Error('offline');
    };
    const app = await Test.createTestingModule({
      imports: [
        ConnectlyModule.forRoot({
          ...options,
          fetch,
          maxRetries: 0,
          userAgent: 'shop/1.0',
          messaging: { apiKey: 'general-key', webhookSecret: 'secret', timeoutMs: 5000 },
        }),
      ],
    }).compile();
    const messaging = app.get(ConnectlyMessagingService).client;
    expect(messaging).toMatchObject({
      businessId: 'biz',
      baseUrl: 'http://127.0.0.1:1',
      maxRetries: 0,
      userAgent: 'shop/1.0',
      timeoutMs: 5000,
    });
    await expect(messaging.listWebhooks()).rejects.toThrow();
    await expect(app.get(ConnectlyService).ping()).rejects.toThrow();
    expect(sent.map(({ key }) => key)).toEqual(['general-key', 'nest-key']);
    expect(sent.every(({ url }) => url.startsWith('http://127.0.0.1:1/'))).toBe(true);
    await app.close();
  });

  it("uses the agent's key for the Message API by default, and the Message API's own time limit", async () => {
    const app = await Test.createTestingModule({
      imports: [ConnectlyModule.forRoot({ ...options, timeoutMs: 90_000, messaging: { webhookSecret: 'secret' } })],
    }).compile();
    expect(app.get(ConnectlyMessagingService).client.timeoutMs).toBe(30_000);
    expect(app.get<{ apiKey: string }>(CONNECTLY_MESSAGING_OPTIONS).apiKey).toBe('nest-key');
    await app.close();
  });

  it('without messaging, the Message API service names the option to add', async () => {
    const app = await Test.createTestingModule({ imports: [ConnectlyModule.forRoot(options)] }).compile();
    expect(() => app.get(ConnectlyMessagingService).client).toThrow(
      expect.objectContaining({ name: 'ConnectlyValidationError', field: 'messaging' }),
    );
    await expect(async () =>
      app.get(ConnectlyMessagingService).sendMessage({ to: '+1555', message: { text: 'hi' } }),
    ).rejects.toThrow(/add `messaging: \{ webhookSecret \}` to the ConnectlyModule options/);
    await app.close();
  });
});
