// ConnectlyMessagingModule: the Message API client, its service and the webhook guard, configured with
// forRoot / forRootAsync. Bad options (a missing key or secret) fail the bootstrap with their name.

import { Module } from '@nestjs/common';
import { ConnectlyMessagingClient, ConnectlyValidationError } from 'connectly-agent-graph';
import { CONNECTLY_MESSAGING_CLIENT } from './messaging.constants.js';
import {
  CONNECTLY_MESSAGING_OPTIONS,
  ConnectlyMessagingConfigurableModule,
  type ConnectlyMessagingModuleOptions,
} from './messaging.module-definition.js';
import { ConnectlyMessagingService } from './messaging.service.js';
import { ConnectlyWebhookGuard } from './webhook.guard.js';

function createMessagingClient(options: ConnectlyMessagingModuleOptions): ConnectlyMessagingClient {
  const { webhookSecret, webhookMaxAgeMs: _, ...clientOptions } = options;
  try {
    if (typeof webhookSecret !== 'string' || webhookSecret === '') {
      throw new ConnectlyValidationError(
        'webhookSecret',
        '`webhookSecret` is required: the per-business secret Connectly signs webhooks with',
      );
    }
    return new ConnectlyMessagingClient(clientOptions);
  } catch (error) {
    if (error instanceof ConnectlyValidationError) {
      throw new ConnectlyValidationError(error.field, `ConnectlyMessagingModule options are invalid: ${error.message}`);
    }
    throw error;
  }
}

@Module({
  providers: [
    { provide: CONNECTLY_MESSAGING_CLIENT, useFactory: createMessagingClient, inject: [CONNECTLY_MESSAGING_OPTIONS] },
    ConnectlyMessagingService,
    ConnectlyWebhookGuard,
  ],
  exports: [ConnectlyMessagingService, ConnectlyWebhookGuard, CONNECTLY_MESSAGING_CLIENT, CONNECTLY_MESSAGING_OPTIONS],
})
export class ConnectlyMessagingModule extends ConnectlyMessagingConfigurableModule {}
