// The node's one HTTP path: the core client, streaming through n8n's own request helper, so n8n's
// credentials, proxy and SSRF settings apply and the key is added by the credential alone (the client
// sends none: `fetchAddsApiKey`).
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { ConnectlyClient, type FetchLike, normalizeBaseUrl } from 'connectly-agent-graph';
import { defaultScheduler, defaultUserAgent } from './platform';
import { rememberedSessions } from './session-memory';

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

// Two things stand between the call's signal and a stalled body inside n8n (n8n-core 2.41, axios 1.21):
// - n8n's helper replaces the request's abortSignal with the execution's cancel signal
//   (n8n-core's request-helpers/authentication.js, httpRequestWithAuthentication, whenever its context has
//   getExecutionCancelSignal), so an idle timeout or a header timeout never reaches the request;
// - axios hands a streamed body over wrapped in Readable.from() (adapters/http.js, to enforce
//   maxContentLength, which n8n sets to Infinity), and that wrapper's destroy() waits for the read it has
//   pending on the socket: on a stalled stream it never completes, and the socket stays open.
// Only aborting the request ends the socket. So the helper gets the call's own signal (which follows the
// execution's, see context.ts), and from the headers on an abort first destroys the body, so that axios,
// finding it destroyed, does not also report the abort as an 'error' on a stream nobody reads anymore
// (which would crash n8n), then aborts the request. The body is destroyed too because another helper may
// honour the signal only until the headers.
function endedOnAbort(
  send: (signal: AbortSignal | undefined) => Promise<StreamedResponse>,
  signal: AbortSignal | undefined,
): Promise<StreamedResponse> {
  if (!signal) return send(undefined);
  const request = new AbortController();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      request.abort(signal.reason);
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    send(request.signal).then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        const end = (): void => {
          (response.body as StreamBody | null)?.destroy?.();
          request.abort(signal.reason);
        };
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

/**
 * The execution context as n8n's request helper sees it, minus getExecutionCancelSignal, so that the helper
 * keeps the request's own abortSignal (see endedOnAbort); everything else is the context's own.
 */
function keepingRequestSignal(context: IExecuteFunctions): IExecuteFunctions {
  return new Proxy(context, {
    has: (target, key) => key !== 'getExecutionCancelSignal' && Reflect.has(target, key),
    get: (target, key) => {
      if (key === 'getExecutionCancelSignal') return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The fetch-style view of the headers n8n's request helper returns. */
export function headerReader(headers: Record<string, string | string[] | undefined>): {
  get(name: string): string | null;
} {
  return {
    get: (name: string) => {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    },
  };
}

/** Which item's customer sessions the client finds and keeps (see `connectlyClient`). */
export interface RememberSessions {
  itemIndex: number;
}

/**
 * `remember`: the client finds and keeps each customer's session: in the item's Shared State memory when
 * one is connected (every worker sees it), else in this process's session memory.
 */
export async function connectlyClient(
  this: IExecuteFunctions,
  timeouts: ClientTimeouts = {},
  remember?: RememberSessions,
): Promise<ConnectlyClient> {
  const credentials = await this.getCredentials<ConnectlyCredentials>('connectlyApi');
  const fetch: FetchLike = async (url, init) => {
    const request = (abortSignal: AbortSignal | undefined): IHttpRequestOptions => ({
      method: 'POST',
      url,
      // A copy: the credential adds its header to the object it is given.
      headers: { ...init.headers },
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
          keepingRequestSignal(this),
          'connectlyApi',
          request(abortSignal),
        ) as Promise<StreamedResponse>,
      init.signal,
    );
    return {
      status: response.statusCode,
      headers: headerReader(response.headers),
      body: response.body,
    };
  };
  // The memory is picked by the address as the client normalises it, as Session → Close finds it.
  const baseUrl = normalizeBaseUrl(credentials.baseUrl || undefined, credentials.apiKey);
  const sessionStore = remember ? await rememberedSessions.call(this, remember.itemIndex, baseUrl) : undefined;
  return new ConnectlyClient({
    apiKey: credentials.apiKey,
    businessId: credentials.businessId,
    baseUrl,
    ...timeouts,
    fetch,
    fetchAddsApiKey: true,
    scheduler: defaultScheduler,
    userAgent: defaultUserAgent(),
    ...(sessionStore ? { sessionStore } : {}),
  });
}
