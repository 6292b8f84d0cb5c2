// Injection tokens users may need. The clients are their own classes (inject them by type); the rest are
// Symbols, which no other library's token can equal by accident.

import { Inject } from '@nestjs/common';
import { ConnectlyClient, ConnectlyMessagingClient } from 'connectly-agent-graph';
import { CONNECTLY_MODULE_OPTIONS } from './connectly.module-definition.js';

/**
 * The `ConnectlyClient` instance; its token is the class itself, so `constructor(client: ConnectlyClient)`
 * injects it. Override it in tests: `.overrideProvider(CONNECTLY_CLIENT).useValue(fake)`.
 */
export const CONNECTLY_CLIENT: typeof ConnectlyClient = ConnectlyClient;

/**
 * The Message API client (`ConnectlyMessagingClient`; its class is the token), built from the `messaging`
 * options; override it in tests with `.overrideProvider(CONNECTLY_MESSAGING_CLIENT)`.
 */
export const CONNECTLY_MESSAGING_CLIENT: typeof ConnectlyMessagingClient = ConnectlyMessagingClient;

export { CONNECTLY_MODULE_OPTIONS };

/** Injects the raw module options. */
export const InjectConnectlyOptions = (): ParameterDecorator => Inject(CONNECTLY_MODULE_OPTIONS);

/** Injects the core `ConnectlyClient`. */
export const InjectConnectlyClient = (): ParameterDecorator => Inject(CONNECTLY_CLIENT);

/** Injects the core `ConnectlyMessagingClient`. */
export const InjectConnectlyMessagingClient = (): ParameterDecorator => Inject(CONNECTLY_MESSAGING_CLIENT);
