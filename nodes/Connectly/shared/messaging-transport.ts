// The Messaging API client of the n8n nodes: the core's client, its requests made by n8n's own request
// helper with the connectlyMessagingApi credential, so n8n's proxy and SSRF settings apply and the key
// is added by the credential alone (the client sends none: `fetchAddsApiKey`).
import type { IExecuteFunctions, IHookFunctions, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';
import { ConnectlyMessagingClient, type FetchLike } from 'connectly-agent-graph';
import { defaultScheduler, defaultUserAgent } from './platform';
import { headerReader } from './transport';

export const MESSAGING_CREDENTIAL = 'connectlyMessagingApi';

export interface ConnectlyMessagingCredentials {
  apiKey: string;
  businessId: string;
  webhookSecret?: string;
  baseUrl?: string;
}

interface BufferedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: ArrayBuffer | Uint8Array | string | null | undefined;
}

function bytesOf(body: BufferedResponse['body']): Uint8Array {
  if (body === null || body === undefined) return new Uint8Array();
  if (typeof body === 'string') return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** A Messaging API client on the node's credential; Message API answers are small, so each is read whole. */
export async function messagingClient(
  this: IExecuteFunctions | IHookFunctions | IWebhookFunctions,
  options: { timeoutMs?: number; maxRetries?: number } = {},
): Promise<ConnectlyMessagingClient> {
  const credentials = await this.getCredentials<ConnectlyMessagingCredentials>(MESSAGING_CREDENTIAL);
  const fetch: FetchLike = async (url, init) => {
    const request: IHttpRequestOptions = {
      method: init.method,
      url,
      // A copy: the credential adds its header to the object it is given.
      headers: { ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      json: false,
      encoding: 'arraybuffer',
      returnFullResponse: true,
      ignoreHttpStatusErrors: true,
      // n8n would re-send the credential's header to wherever a redirect points; the core refuses a 3xx.
      disableFollowRedirect: true,
      sendCredentialsOnCrossOriginRedirect: false,
      abortSignal: init.signal,
    };
    const response = (await this.helpers.httpRequestWithAuthentication.call(
      this,
      MESSAGING_CREDENTIAL,
      request,
    )) as BufferedResponse;
    return {
      status: response.statusCode,
      headers: headerReader(response.headers),
      body: once(bytesOf(response.body)),
    };
  };
  return new ConnectlyMessagingClient({
    apiKey: credentials.apiKey,
    businessId: credentials.businessId,
    ...(credentials.baseUrl ? { baseUrl: credentials.baseUrl } : {}),
    ...options,
    fetch,
    fetchAddsApiKey: true,
    scheduler: defaultScheduler,
    userAgent: defaultUserAgent(),
  });
}
