// The node's one HTTP path: the core client, streaming through n8n's own request helper, so n8n's
// credentials, proxy and SSRF settings apply and the key is added by the credential, not by us.
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { ConnectlyClient, type ConnectlyClientOptions, type FetchLike } from 'connectly-agent-graph';
import { defaultScheduler, defaultUserAgent } from './platform';
import { sessionMemory } from './session-memory';

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

/** What n8n's helper returns for `encoding: 'stream'`: a Node stream, which `destroy()` ends. */
type StreamBody = AsyncIterable<Uint8Array> & { destroy?: () => void };

// The call's signal reaches n8n's request helper only until the headers are in: after that the helper
// cannot be relied on to end a stalled body (which would outlive the idle timeout or a stopped
// execution), and axios, behind it, reports the abort as an 'error' on a stream nobody reads anymore,
// which crashes n8n. So from the headers on, the call's signal ends the body here.
function endedOnAbort(
  send: (signal: AbortSignal | undefined) => Promise<StreamedResponse>,
  signal: AbortSignal | undefined,
): Promise<StreamedResponse> {
  if (!signal) return send(undefined);
  const untilHeaders = new AbortController();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      untilHeaders.abort(signal.reason);
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    send(untilHeaders.signal).then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        const end = (): void => (response.body as StreamBody | null)?.destroy?.();
        if (signal.aborted) end();
        else signal.addEventListener('abort', end, { once: true });
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `remember`: the client finds and keeps each customer's session in the node's session memory. */
export async function connectlyClient(
  this: IExecuteFunctions,
  timeouts: ClientTimeouts = {},
  remember = false,
): Promise<ConnectlyClient> {
  const credentials = await this.getCredentials<ConnectlyCredentials>('connectlyApi');
  const fetch: FetchLike = async (url, init) => {
    const headers = { ...init.headers };
    delete headers['x-api-key'];
    const request = (abortSignal: AbortSignal | undefined): IHttpRequestOptions => ({
      method: 'POST',
      url,
      headers,
      body: init.body,
      json: false,
      encoding: 'stream',
      returnFullResponse: true,
      ignoreHttpStatusErrors: true,
      // n8n follows redirects by default and re-sends custom headers such as x-api-key to any host they
      // point at; a 3xx instead reaches the core, which refuses it with a typed error naming the target.
      disableFollowRedirect: true,
      sendCredentialsOnCrossOriginRedirect: false,
      abortSignal,
    });
    const response = await endedOnAbort(
      (abortSignal) =>
        this.helpers.httpRequestWithAuthentication.call(
          this,
          'connectlyApi',
          request(abortSignal),
        ) as Promise<StreamedResponse>,
      init.signal,
    );
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
  const options: ConnectlyClientOptions = {
    apiKey: credentials.apiKey,
    businessId: credentials.businessId,
    ...(credentials.baseUrl ? { baseUrl: credentials.baseUrl } : {}),
    ...timeouts,
    fetch,
    scheduler: defaultScheduler,
    userAgent: defaultUserAgent(),
  };
  const client = new ConnectlyClient(options);
  // The memory is picked by the address the client checked and normalised, as Session → Close finds it.
  return remember ? new ConnectlyClient({ ...options, sessionStore: sessionMemory(client.baseUrl) }) : client;
}
