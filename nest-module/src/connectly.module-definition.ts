// The dynamic-module definition: forRoot / forRootAsync with an `isGlobal` extra, built by Nest's builder.

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ConnectlyClientOptions } from 'connectly-agent-graph';
import type { SessionStoreOption } from './connectly.session-store.js';
import type { ResumableOptions } from './resumable-options.js';

/**
 * The options of `ConnectlyModule.forRoot()`: the core client's options, where `sessionStore` may also
 * be a factory (`() => new RedisSessionStore({ url })`): the module then builds the store and closes it
 * on application shutdown. A store instance you pass stays yours to close. The same holds for
 * `resumable.store`.
 */
export type ConnectlyModuleOptions = Omit<ConnectlyClientOptions, 'sessionStore'> & {
  sessionStore?: SessionStoreOption;
  /** Resumable replies (see `ConnectlyTurns`): where turns log their events, and for how long. */
  resumable?: ResumableOptions;
};

export const {
  ConfigurableModuleClass: ConnectlyConfigurableModule,
  MODULE_OPTIONS_TOKEN: CONNECTLY_MODULE_OPTIONS,
  OPTIONS_TYPE: CONNECTLY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CONNECTLY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ConnectlyModuleOptions>({ moduleName: 'Connectly' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createConnectlyOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** For `useClass` / `useExisting` registration: a provider that builds the options. */
export interface ConnectlyOptionsFactory {
  createConnectlyOptions(): ConnectlyModuleOptions | Promise<ConnectlyModuleOptions>;
}
