// Injection tokens of the messaging module.

import { Inject } from '@nestjs/common';

/** The `ConnectlyMessagingClient` instance; override it in tests with `.overrideProvider(...)`. */
export const CONNECTLY_MESSAGING_CLIENT = 'CONNECTLY_MESSAGING_CLIENT';

/** Injects the core `ConnectlyMessagingClient`. */
export const InjectConnectlyMessagingClient = (): ParameterDecorator => Inject(CONNECTLY_MESSAGING_CLIENT);
