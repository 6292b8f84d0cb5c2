// ConnectlyMessagingModule (deprecated: give ConnectlyModule a `messaging` option instead): the Message
// API client, its service and the webhook guard, configured apart from the agent with forRoot / forRootAsync.

import { Module } from '@nestjs/common';
import { CONNECTLY_MESSAGING_CLIENT } from '../connectly.constants.js';
import { ConnectlyMessagingConfigurableModule } from './messaging.module-definition.js';
import {
  CONNECTLY_MESSAGING_OPTIONS,
  type ConnectlyMessagingModuleOptions,
  createMessagingClient,
} from './messaging.options.js';
import { ConnectlyMessagingService } from './messaging.service.js';
import { ConnectlyWebhookGuard } from './webhook.guard.js';

/**
 * @deprecated Configure the Message API in `ConnectlyModule.forRoot({ …, messaging: { webhookSecret } })`,
 * which shares the agent's business, address and request settings. This module keeps working meanwhile.
 */
@Module({
  providers: [
    {
      provide: CONNECTLY_MESSAGING_CLIENT,
      useFactory: (options: ConnectlyMessagingModuleOptions) =>
        createMessagingClient(options, 'ConnectlyMessagingModule'),
      inject: [CONNECTLY_MESSAGING_OPTIONS],
    },
    ConnectlyMessagingService,
    ConnectlyWebhookGuard,
  ],
  exports: [ConnectlyMessagingService, ConnectlyWebhookGuard, CONNECTLY_MESSAGING_CLIENT, CONNECTLY_MESSAGING_OPTIONS],
})
export class ConnectlyMessagingModule extends ConnectlyMessagingConfigurableModule {}
