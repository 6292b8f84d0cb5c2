// The dynamic-module definition: forRoot / forRootAsync with an `isGlobal` extra, built by Nest's builder.

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ConnectlyClientOptions } from 'connectly-agent-graph';

/** The options of `ConnectlyModule.forRoot()`: the core client's options. */
export type ConnectlyModuleOptions = ConnectlyClientOptions;

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
