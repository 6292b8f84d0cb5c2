// The node's one HTTP path: the core client, streaming through n8n's own request helper, so n8n's
// credentials, proxy and SSRF settings apply and the key is added by the credential, not by us.
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { ConnectlyClient, type FetchLike } from 'connectly-agent-graph';
import { defaultScheduler, defaultUserAgent } from './platform';

export interface ConnectlyCredentials {
  apiKey: string;
  businessId: string;
  baseUrl?: string;
}

export interface ClientTimeouts {
  timeoutMs?: number;
  idleTimeoutMs?: number;
  maxRetries?: number;
}

interface StreamedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> | null;
}

export async function connectlyClient(
  this: IExecuteFunctions,
  timeouts: ClientTimeouts = {},
): Promise<ConnectlyClient> {
  const credentials = await this.getCredentials<ConnectlyCredentials>('connectlyApi');
  const fetch: FetchLike = async (url, init) => {
    const headers = { ...init.headers };
    delete headers['x-api-key'];
    const request: IHttpRequestOptions = {
      method: 'POST',
      url,
      headers,
      body: init.body,
      json: false,
      encoding: 'stream',
      returnFullResponse: true,
      ignoreHttpStatusErrors: true,
      abortSignal: init.signal,
    };
    const response = (await this.helpers.httpRequestWithAuthentication.call(
      this,
      'connectlyApi',
      request,
    )) as StreamedResponse;
    return {
      status: response.statusCode,
      headers: {
        get: (name: string) => {
          const value = response.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : (value ?? null);
        },
      },
      body: response.body,
    };
  };
  return new ConnectlyClient({
    apiKey: credentials.apiKey,
    businessId: credentials.businessId,
    ...(credentials.baseUrl ? { baseUrl: credentials.baseUrl } : {}),
    ...timeouts,
    fetch,
    scheduler: defaultScheduler,
    userAgent: defaultUserAgent(),
  });
}
