// Injection tokens users may need: the options (the builder's token) and the core client.

import { Inject } from '@nestjs/common';
import { CONNECTLY_MODULE_OPTIONS } from './connectly.module-definition.js';

/** The `ConnectlyClient` instance. Override it in tests: `.overrideProvider(CONNECTLY_CLIENT).useValue(fake)`. */
export const CONNECTLY_CLIENT = 'CONNECTLY_CLIENT';

export { CONNECTLY_MODULE_OPTIONS };

/** Injects the raw module options. */
export const InjectConnectlyOptions = (): ParameterDecorator => Inject(CONNECTLY_MODULE_OPTIONS);

/** Injects the core `ConnectlyClient`. */
export const InjectConnectlyClient = (): ParameterDecorator => Inject(CONNECTLY_CLIENT);
