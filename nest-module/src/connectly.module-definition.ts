// The dynamic-module definition: forRoot / forRootAsync with an `isGlobal` extra, built by Nest's builder.

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ConnectlyClientOptions } from 'connectly-agent-graph';
import type { SessionStoreOption } from './connectly.session-store.js';
import type { ConnectlyConversationsOptions } from './conversations/conversations.options.js';
import type { ConnectlyMessagingOptions } from './messaging/messaging.options.js';
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
  /**
   * The Message API and its webhooks (`ConnectlyMessagingService`, `ConnectlyWebhookGuard`), on the same
   * business, address and request settings as the agent.
   */
  messaging?: ConnectlyMessagingOptions;
  /**
   * The WhatsApp loop (`ConnectlyConversations`): its store, shared by every replica, serves as the
   * agent's session store too (leave `sessionStore` out). Needs `messaging`.
   */
  conversations?: ConnectlyConversationsOptions;
};

/** The module options, as given to `forRoot` or returned by the `forRootAsync` factory. */
export const CONNECTLY_MODULE_OPTIONS: unique symbol = Symbol('CONNECTLY_MODULE_OPTIONS');

export const {
  ConfigurableModuleClass: ConnectlyConfigurableModule,
  OPTIONS_TYPE: CONNECTLY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CONNECTLY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ConnectlyModuleOptions>({
  moduleName: 'Connectly',
  optionsInjectionToken: CONNECTLY_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createConnectlyOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** For `useClass` / `useExisting` registration: a provider that builds the options. */
export interface ConnectlyOptionsFactory {
  createConnectlyOptions(): ConnectlyModuleOptions | Promise<ConnectlyModuleOptions>;
}
