// ConnectlyModule: forRoot(options) / forRootAsync({ imports, inject, useFactory | useClass | useExisting }),
// with `isGlobal`: one configuration for the agent and, with `messaging`, the Message API and its webhooks,
// and with `conversations`, the WhatsApp loop on a shared store.
// Options are validated when the module is created, so bad config fails the bootstrap.

import { Logger, Module } from '@nestjs/common';
import {
  ConnectlyClient,
  type ConnectlyLogger,
  ConnectlyValidationError,
  type SessionStore,
} from 'connectly-agent-graph';
import { CONNECTLY_CLIENT, CONNECTLY_MESSAGING_CLIENT } from './connectly.constants.js';
import {
  CONNECTLY_MODULE_OPTIONS,
  ConnectlyConfigurableModule,
  type ConnectlyModuleOptions,
} from './connectly.module-definition.js';
import { ConnectlyService } from './connectly.service.js';
import { CONNECTLY_SESSION_STORE, type ResolvedSessionStore, resolveSessionStore } from './connectly.session-store.js';
import { CONNECTLY_TURN_LOG, ConnectlyTurns, resolveTurnLog } from './resumable.js';
import {
  CONNECTLY_MESSAGING_OPTIONS,
  type ConnectlyMessagingModuleOptions,
  createMessagingClient,
  messagingOptionsOf,
} from './messaging/messaging.options.js';
import { ConnectlyMessagingService } from './messaging/messaging.service.js';
import { ConnectlyWebhookGuard } from './messaging/webhook.guard.js';
import { sessionStoreOption } from './conversations/conversations.options.js';
import { ConnectlyConversations } from './conversations/conversations.service.js';

/** The client's log through Nest's Logger (context `Connectly`): Nest's log levels decide what shows. */
function nestLogger(): ConnectlyLogger {
  const logger = new Logger('Connectly');
  return {
    debug: (fields, message) => logger.debug(`${message} ${JSON.stringify(fields)}`),
    warn: (fields, message) => logger.warn(`${message} ${JSON.stringify(fields)}`),
  };
}

/** Builds the client; a bad option stops the application with a message that names it. */
export function createConnectlyClient(options: ConnectlyModuleOptions, sessionStore?: SessionStore): ConnectlyClient {
  try {
    const {
      sessionStore: _option,
      resumable: _resumable,
      messaging: _messaging,
      conversations: _conversations,
      ...rest
    } = options;
    const withLogger = { logger: nestLogger(), ...rest };
    return new ConnectlyClient(sessionStore === undefined ? withLogger : { ...withLogger, sessionStore });
  } catch (error) {
    if (error instanceof ConnectlyValidationError) {
      throw new ConnectlyValidationError(error.field, `ConnectlyModule options are invalid: ${error.message}`);
    }
    throw error;
  }
}

@Module({
  providers: [
    {
      provide: CONNECTLY_SESSION_STORE,
      useFactory: (options: ConnectlyModuleOptions) => resolveSessionStore(sessionStoreOption(options)),
      inject: [CONNECTLY_MODULE_OPTIONS],
    },
    {
      provide: CONNECTLY_CLIENT,
      useFactory: (options: ConnectlyModuleOptions, resolved: ResolvedSessionStore) =>
        createConnectlyClient(options, resolved.store),
      inject: [CONNECTLY_MODULE_OPTIONS, CONNECTLY_SESSION_STORE],
    },
    {
      provide: CONNECTLY_TURN_LOG,
      useFactory: (options: ConnectlyModuleOptions) => resolveTurnLog(options.resumable),
      inject: [CONNECTLY_MODULE_OPTIONS],
    },
    {
      provide: CONNECTLY_MESSAGING_OPTIONS,
      useFactory: messagingOptionsOf,
      inject: [CONNECTLY_MODULE_OPTIONS],
    },
    {
      provide: CONNECTLY_MESSAGING_CLIENT,
      // Without `messaging`, none: the service and the guard then say how to configure it when used.
      useFactory: (messaging: ConnectlyMessagingModuleOptions | undefined) =>
        messaging === undefined ? undefined : createMessagingClient(messaging, 'ConnectlyModule'),
      inject: [CONNECTLY_MESSAGING_OPTIONS],
    },
    ConnectlyService,
    ConnectlyTurns,
    ConnectlyMessagingService,
    ConnectlyWebhookGuard,
    ConnectlyConversations,
  ],
  exports: [
    ConnectlyConversations,
    ConnectlyService,
    ConnectlyTurns,
    ConnectlyMessagingService,
    ConnectlyWebhookGuard,
    CONNECTLY_CLIENT,
    CONNECTLY_MESSAGING_CLIENT,
    CONNECTLY_MODULE_OPTIONS,
    CONNECTLY_MESSAGING_OPTIONS,
    CONNECTLY_SESSION_STORE,
    CONNECTLY_TURN_LOG,
  ],
})
export class ConnectlyModule extends ConnectlyConfigurableModule {}
