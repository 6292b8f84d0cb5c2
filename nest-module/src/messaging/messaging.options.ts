// The Message API's configuration: the `messaging` option of ConnectlyModule, what the webhook guard and
// the client are built from, and the one error for an app that uses them without configuring them.

import {
  type ConnectlyClientOptions,
  ConnectlyMessagingClient,
  type ConnectlyMessagingClientOptions,
  ConnectlyValidationError,
  HTTP_OPTION_NAMES,
} from 'connectly-agent-graph';

/** The `messaging` option of `ConnectlyModule.forRoot()`: what the Message API needs beyond the agent's options. */
export interface ConnectlyMessagingOptions {
  /**
   * The Messaging Key (the business's general API key), when the agent's `apiKey` is the AI Agent Key, which
   * cannot send messages. Default: the agent's `apiKey`.
   */
  apiKey?: string;
  /** The per-business secret Connectly signs webhook deliveries with. */
  webhookSecret: string;
  /**
   * How far a delivery's signed `timestamp` may be from this server's clock, in ms, before the guard
   * refuses it as a replay (401). Default 5 minutes (`DEFAULT_WEBHOOK_MAX_AGE_MS`).
   */
  webhookMaxAgeMs?: number;
  /** Longest wait for a Message API answer, in ms. Default 30 000; 0 disables. */
  timeoutMs?: number;
}

/** Everything the Message API client and the webhook guard are built from (also the deprecated module's options). */
export interface ConnectlyMessagingModuleOptions extends ConnectlyMessagingClientOptions {
  /** The per-business secret Connectly signs webhook deliveries with. */
  webhookSecret: string;
  /** See `ConnectlyMessagingOptions.webhookMaxAgeMs`. */
  webhookMaxAgeMs?: number;
}

/** The resolved Message API options (`undefined` when the module has no `messaging` option). */
export const CONNECTLY_MESSAGING_OPTIONS: unique symbol = Symbol('CONNECTLY_MESSAGING_OPTIONS');

// What the agent's options give the Message API client as they are: every option of the request pipeline
// (one business, one address, one set of request rules, one pool, one logger and tracer) but the key, which
// `messaging.apiKey` may replace, and the time limit: the agent's bounds the wait for a stream's first
// byte, the Message API's a whole answer, so each has its own default.
const SHARED = HTTP_OPTION_NAMES.filter((name) => name !== 'apiKey' && name !== 'timeoutMs');

/** The Message API options of a `ConnectlyModule` configuration, or undefined when it has no `messaging`. */
export function messagingOptionsOf(
  options: Omit<ConnectlyClientOptions, 'sessionStore'> & { messaging?: ConnectlyMessagingOptions },
): ConnectlyMessagingModuleOptions | undefined {
  const { messaging } = options;
  if (messaging === undefined) return undefined;
  if (typeof messaging !== 'object' || messaging === null) {
    throw new ConnectlyValidationError(
      'messaging',
      'ConnectlyModule options are invalid: `messaging` must be an object such as { webhookSecret }',
    );
  }
  const shared: Partial<ConnectlyMessagingClientOptions> = {};
  for (const name of SHARED) {
    if (options[name] !== undefined) Object.assign(shared, { [name]: options[name] });
  }
  const { apiKey, webhookSecret, webhookMaxAgeMs, timeoutMs } = messaging;
  return {
    ...shared,
    apiKey: apiKey ?? options.apiKey,
    businessId: options.businessId,
    webhookSecret,
    ...(webhookMaxAgeMs === undefined ? {} : { webhookMaxAgeMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/** Builds the client; a bad option (a missing key or secret) stops the application with a message naming it. */
export function createMessagingClient(
  options: ConnectlyMessagingModuleOptions,
  moduleName: 'ConnectlyModule' | 'ConnectlyMessagingModule',
): ConnectlyMessagingClient {
  const { webhookSecret, webhookMaxAgeMs: _, ...clientOptions } = options;
  const field = moduleName === 'ConnectlyModule' ? 'messaging.webhookSecret' : 'webhookSecret';
  try {
    if (typeof webhookSecret !== 'string' || webhookSecret === '') {
      throw new ConnectlyValidationError(
        field,
        `\`${field}\` is required: the per-business secret Connectly signs webhooks with`,
      );
    }
    return new ConnectlyMessagingClient(clientOptions);
  } catch (error) {
    if (error instanceof ConnectlyValidationError) {
      throw new ConnectlyValidationError(error.field, `${moduleName} options are invalid: ${error.message}`);
    }
    throw error;
  }
}

/** What using the Message API without configuring it throws. */
export function messagingNotConfigured(): ConnectlyValidationError {
  return new ConnectlyValidationError(
    'messaging',
    'The Message API is not configured: add `messaging: { webhookSecret }` to the ConnectlyModule options ' +
      "(with `apiKey`: the Messaging Key, when the agent's key is the AI Agent Key)",
  );
}
