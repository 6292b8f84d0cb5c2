// ConnectlyConversations: the conversation engine of the core, on the module's configuration (the agent
// client, the Message API client, the `conversations` store). A controller hands it the raw delivery and
// answers what it says; the desk releases held conversations through it.

import { Inject, Injectable, Logger, type BeforeApplicationShutdown, Optional } from '@nestjs/common';
import {
  ConnectlyClient,
  ConnectlyMessagingClient,
  ConnectlyValidationError,
  type ConversationHold,
  type ConversationStore,
  ConversationEngine,
  type HandoverNotice,
  type RawBody,
  type ReceiveResult,
} from 'connectly-agent-graph';
import { CONNECTLY_CLIENT, CONNECTLY_MESSAGING_CLIENT } from '../connectly.constants.js';
import { CONNECTLY_MODULE_OPTIONS, type ConnectlyModuleOptions } from '../connectly.module-definition.js';
import { CONNECTLY_SESSION_STORE, type ResolvedSessionStore } from '../connectly.session-store.js';
import { CONNECTLY_MESSAGING_OPTIONS, type ConnectlyMessagingModuleOptions } from '../messaging/messaging.options.js';
import { type WebhookRequest, rawBodyOf } from '../messaging/webhook.guard.js';

/**
 * The Nest (Express) request of the webhook route: its body is read raw here when no parser took it
 * (Connectly sends `text/plain`), or taken from `req.rawBody` (`NestFactory.create(..., { rawBody: true })`).
 */
export type ConversationRequest = WebhookRequest;

@Injectable()
export class ConnectlyConversations implements BeforeApplicationShutdown {
  readonly #engine: ConversationEngine | undefined;
  readonly #listeners = new Set<(notice: HandoverNotice) => void | Promise<void>>();

  constructor(
    @Inject(CONNECTLY_MODULE_OPTIONS) options: ConnectlyModuleOptions,
    @Inject(CONNECTLY_CLIENT) client: ConnectlyClient,
    @Optional() @Inject(CONNECTLY_MESSAGING_CLIENT) messaging?: ConnectlyMessagingClient,
    @Optional() @Inject(CONNECTLY_MESSAGING_OPTIONS) messagingOptions?: ConnectlyMessagingModuleOptions,
    @Optional() @Inject(CONNECTLY_SESSION_STORE) resolved?: ResolvedSessionStore,
  ) {
    const conversations = options.conversations;
    if (conversations === undefined) return;
    if (messaging === undefined || messagingOptions === undefined) {
      throw new ConnectlyValidationError(
        'messaging',
        'ConnectlyModule options are invalid: `conversations` needs `messaging: { webhookSecret }` too (the Message API sends the replies)',
      );
    }
    const logger = new Logger('ConnectlyConversations');
    const { store: _store, onHandover, ...settings } = conversations;
    this.#engine = new ConversationEngine({
      ...settings,
      store: resolved?.store as ConversationStore,
      agent: client,
      messaging,
      businessId: client.businessId,
      webhookSecret: messagingOptions.webhookSecret,
      ...(messagingOptions.webhookMaxAgeMs === undefined ? {} : { maxAgeMs: messagingOptions.webhookMaxAgeMs }),
      logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
      onHandover: async (notice) => {
        await onHandover?.(notice);
        for (const listener of this.#listeners) await listener(notice);
      },
    });
  }

  /** Takes one delivery (the raw request); answer Connectly with `result.status`. */
  async receive(request: ConversationRequest): Promise<ReceiveResult> {
    const engine = this.engine();
    const rawBody = (await rawBodyOf(request)) as RawBody | undefined;
    return engine.receive({ rawBody, headers: request.headers });
  }

  /** Gives a held conversation back to the agent; what was said meanwhile reaches it, in order. */
  release(clientKey: string): Promise<{ released: boolean; pendingEvents: number }> {
    return this.engine().release(clientKey);
  }

  isHeld(clientKey: string): Promise<boolean> {
    return this.engine().isHeld(clientKey);
  }

  hold(clientKey: string): Promise<ConversationHold | undefined> {
    return this.engine().hold(clientKey);
  }

  /** Hands the conversation to a person from the app: the bot stays quiet until `release`. */
  holdFor(clientKey: string, by: string, reason: string): Promise<ConversationHold> {
    return this.engine().holdFor(clientKey, by, reason);
  }

  /** Calls `listener` on every handover and on what is said while held; returns its removal. */
  onHandover(listener: (notice: HandoverNotice) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once no turn runs in this process. */
  idle(): Promise<void> {
    return this.engine().idle();
  }

  /** Stops the sweep and lets running turns finish before the store closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.#engine?.close();
  }

  private engine(): ConversationEngine {
    if (this.#engine === undefined) {
      throw new ConnectlyValidationError(
        'conversations',
        'ConnectlyConversations needs the `conversations: { store }` option of ConnectlyModule.forRoot()',
      );
    }
    return this.#engine;
  }
}
