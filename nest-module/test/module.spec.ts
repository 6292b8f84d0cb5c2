// ConnectlyModule registration, with @nestjs/testing: every form, global or not, validation, overrides.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConnectlyClient } from 'connectly-agent-graph';
import {
  CONNECTLY_CLIENT,
  CONNECTLY_MODULE_OPTIONS,
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
