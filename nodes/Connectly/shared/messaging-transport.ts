// The node's path to Connectly's Message API: the core messaging client, its requests sent through n8n's
// own request helper, so n8n's credentials, proxy and SSRF settings apply and the key is added by the
// credential, not by us.
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { ConnectlyMessagingClient, type FetchLike } from 'connectly-agent-graph';
import {
  type ClientTimeouts,
  type ConnectlyCredentials,
  clientOptions,
  headerReader,
  keepingRequestSignal,
} from './transport';

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

/** A client for the Message API with the node's `connectlyMessagingApi` credential. */
export async function messagingClient(
  this: IExecuteFunctions,
  timeouts: Omit<ClientTimeouts, 'idleTimeoutMs'> = {},
): Promise<ConnectlyMessagingClient> {
  const credentials = await this.getCredentials<ConnectlyCredentials>('connectlyMessagingApi');
  // Message API answers are a few bytes: read whole, then handed to the core as a one-chunk body.
  const fetch: FetchLike = async (url, init) => {
    const headers = { ...init.headers };
    delete headers['x-api-key'];
    const request: IHttpRequestOptions = {
      method: init.method,
      url,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      json: false,
      encoding: 'arraybuffer',
      returnFullResponse: true,
      ignoreHttpStatusErrors: true,
      // A redirect would carry the key's header to wherever it points: the core refuses a 3xx instead.
      disableFollowRedirect: true,
      sendCredentialsOnCrossOriginRedirect: false,
      abortSignal: init.signal,
    };
    const response = (await this.helpers.httpRequestWithAuthentication.call(
      keepingRequestSignal(this),
      'connectlyMessagingApi',
      request,
    )) as BufferedResponse;
    const bytes = bytesOf(response.body);
    return {
      status: response.statusCode,
      headers: headerReader(response.headers),
      body: (async function* () {
        yield bytes;
      })(),
    };
  };
  return new ConnectlyMessagingClient({ ...clientOptions(credentials, fetch), ...timeouts });
}
