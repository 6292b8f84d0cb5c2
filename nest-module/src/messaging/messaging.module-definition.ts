// The deprecated ConnectlyMessagingModule's definition: its options are the Message API's whole
// configuration, under the token the webhook guard and the client read.

import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CONNECTLY_MESSAGING_OPTIONS, type ConnectlyMessagingModuleOptions } from './messaging.options.js';

export const { ConfigurableModuleClass: ConnectlyMessagingConfigurableModule } =
  new ConfigurableModuleBuilder<ConnectlyMessagingModuleOptions>({
    moduleName: 'ConnectlyMessaging',
    optionsInjectionToken: CONNECTLY_MESSAGING_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createConnectlyMessagingOptions')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
