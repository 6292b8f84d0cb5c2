// The messaging module's options: the Message API client's options plus the webhook secret.

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ConnectlyMessagingClientOptions } from 'connectly-agent-graph';

export interface ConnectlyMessagingModuleOptions extends ConnectlyMessagingClientOptions {
  /** The per-business secret Connectly signs webhook deliveries with. */
  webhookSecret: string;
  /**
   * How far a delivery's signed `timestamp` may be from this server's clock, in ms, before the guard
   * refuses it as a replay (401). Default 5 minutes (`DEFAULT_WEBHOOK_MAX_AGE_MS`).
   */
  webhookMaxAgeMs?: number;
}

export const {
  ConfigurableModuleClass: ConnectlyMessagingConfigurableModule,
  MODULE_OPTIONS_TOKEN: CONNECTLY_MESSAGING_OPTIONS,
} = new ConfigurableModuleBuilder<ConnectlyMessagingModuleOptions>({ moduleName: 'ConnectlyMessaging' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createConnectlyMessagingOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
