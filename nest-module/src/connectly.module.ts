// ConnectlyModule: forRoot(options) / forRootAsync({ imports, inject, useFactory | useClass | useExisting }),
// with `isGlobal`. Options are validated when the module is created, so bad config fails the bootstrap.

import { Logger, Module } from '@nestjs/common';
import { ConnectlyClient, type ConnectlyLogger, ConnectlyValidationError } from 'connectly-agent-graph';
import { CONNECTLY_CLIENT } from './connectly.constants.js';
import {
  CONNECTLY_MODULE_OPTIONS,
  ConnectlyConfigurableModule,
  type ConnectlyModuleOptions,
} from './connectly.module-definition.js';
import { ConnectlyService } from './connectly.service.js';

/** The client's log through Nest's Logger (context `Connectly`): Nest's log levels decide what shows. */
function nestLogger(): ConnectlyLogger {
  const logger = new Logger('Connectly');
  return {
    debug: (fields, message) => logger.debug(`${message} ${JSON.stringify(fields)}`),
    warn: (fields, message) => logger.warn(`${message} ${JSON.stringify(fields)}`),
  };
}

/** Builds the client; a bad option stops the application with a message that names it. */
export function createConnectlyClient(options: ConnectlyModuleOptions): ConnectlyClient {
  try {
    return new ConnectlyClient({ logger: nestLogger(), ...options });
  } catch (error) {
    if (error instanceof ConnectlyValidationError) {
      throw new ConnectlyValidationError(error.field, `ConnectlyModule options are invalid: ${error.message}`);
    }
    throw error;
  }
}

@Module({
  providers: [
    { provide: CONNECTLY_CLIENT, useFactory: createConnectlyClient, inject: [CONNECTLY_MODULE_OPTIONS] },
    ConnectlyService,
  ],
  exports: [ConnectlyService, CONNECTLY_CLIENT, CONNECTLY_MODULE_OPTIONS],
})
export class ConnectlyModule extends ConnectlyConfigurableModule {}
