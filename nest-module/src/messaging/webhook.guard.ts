// A guard for the route that receives Connectly webhooks: reads the raw body, refuses a missing or
// wrong signature with 401 before the handler runs, and hands the typed event to `@ConnectlyWebhook()`.

import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  Optional,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import {
  ConnectlyValidationError,
  ConnectlyWebhookSignatureError,
  type InboundEvent,
  parseWebhook,
} from 'connectly-agent-graph';
import {
  CONNECTLY_MESSAGING_OPTIONS,
  type ConnectlyMessagingModuleOptions,
  messagingNotConfigured,
} from './messaging.options.js';

// Connectly's deliveries are small; anything far larger is not one of them.
const MAX_BODY_BYTES = 1024 * 1024;

/** The request of a webhook route, as the guard and `ConnectlyConversations` read it (Express or Fastify). */
export interface WebhookRequest extends NodeJS.ReadableStream {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
  body?: unknown;
  readableEnded?: boolean;
  connectlyWebhook?: InboundEvent;
}

// Connectly sends `text/plain`, which Nest's default parsers leave unread: then the guard reads it.
/** The delivery's exact bytes: `req.rawBody`, a body kept as text, or the stream read here when no parser took it. */
export async function rawBodyOf(req: WebhookRequest): Promise<unknown> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) return req.body;
  const unparsed =
    req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0);
  if (!unparsed || req.readableEnded) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new UnauthorizedException('The webhook body is too large to be a Connectly delivery');
    chunks.push(chunk as Buffer);
  }
  req.rawBody = Buffer.concat(chunks);
  return req.rawBody;
}

@Injectable()
export class ConnectlyWebhookGuard implements CanActivate {
  private readonly logger = new Logger('ConnectlyWebhook');

  constructor(
    @Optional() @Inject(CONNECTLY_MESSAGING_OPTIONS) private readonly options?: ConnectlyMessagingModuleOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { options } = this;
    if (options === undefined) throw messagingNotConfigured();
    const req = context.switchToHttp().getRequest<WebhookRequest>();
    const raw = await rawBodyOf(req);
    try {
      req.connectlyWebhook = parseWebhook(raw as Buffer, req.headers, options.webhookSecret, {
        ...(options.webhookMaxAgeMs === undefined ? {} : { maxAgeMs: options.webhookMaxAgeMs }),
      });
      return true;
    } catch (error) {
      if (error instanceof ConnectlyWebhookSignatureError) {
        this.logger.warn(`Refused a webhook delivery: ${error.message}`);
        throw new UnauthorizedException(error.message);
      }
      // A parser consumed the body without keeping its bytes. Connectly sends text/plain, which no default
      // parser takes, so this is a request from someone else (anyone can send one: a warning line, not an
      // error) or an app that parses every type: the line names the fix.
      if (error instanceof ConnectlyValidationError && error.field === 'rawBody') {
        this.logger.warn(`Refused a webhook request whose bytes were not kept: ${error.message}`);
        throw new UnauthorizedException('The webhook body could not be read as Connectly sent it');
      }
      throw error;
    }
  }
}

/** The verified, typed webhook event of a route guarded by `ConnectlyWebhookGuard`. */
export const ConnectlyWebhook = createParamDecorator((_: unknown, context: ExecutionContext): InboundEvent => {
  const event = context.switchToHttp().getRequest<WebhookRequest>().connectlyWebhook;
  if (!event) throw new Error('@ConnectlyWebhook() needs the route to use @UseGuards(ConnectlyWebhookGuard)');
  return event;
});
