// Runs the node's execute() the way n8n does, with a stand-in for n8n's execution context whose HTTP
// helper makes real requests (adding the credential's x-api-key header, as n8n's authenticate block does).
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, INode, INodeExecutionData } from 'n8n-workflow';
import { Connectly } from '../../nodes/Connectly/Connectly.node';

export interface Run {
  outputs: INodeExecutionData[][];
  chunks: Array<{ type: string; itemIndex: number; content?: unknown }>;
}

export interface RunOptions {
  credentials: IDataObject;
  continueOnFail?: boolean;
  streaming?: boolean;
  signal?: AbortSignal;
  items?: number;
  /** The node to run: the sources by default, or the built bundle. */
  nodeType?: Connectly;
}

export const NODE: INode = {
  id: 'node-1',
  name: 'Connectly',
  type: 'n8n-nodes-connectly.connectly',
  typeVersion: 1,
  position: [0, 0],
  parameters: {},
};

// Like the least helpful n8n: abortSignal cancels the request until the headers arrive, and does nothing
// to a response body that is already streaming (the node must end that itself); and, as n8n does unless
// the request sets disableFollowRedirect, redirects are followed with every header, x-api-key included.
function httpRequestWithAuthentication(
  credentials: IDataObject,
  options: IHttpRequestOptions,
  url = options.url,
  hops = 0,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.headers as Record<string, string>), 'x-api-key': String(credentials['apiKey']) };
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const signal = options.abortSignal as AbortSignal | undefined;
    const cancel = (): void => void req.destroy(signal?.reason as Error);
    const req = request(url, { method: options.method, headers }, (res: IncomingMessage) => {
      signal?.removeEventListener('abort', cancel);
      const location = res.headers.location;
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && location && !options.disableFollowRedirect && hops < 20) {
        res.resume();
        resolve(httpRequestWithAuthentication(credentials, options, new URL(location, url).href, hops + 1));
        return;
      }
      resolve({ statusCode: status, headers: res.headers, body: res });
    });
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    req.on('error', reject);
    req.end(options.body as string);
  });
}

/** Executes the node once; `parameters` gives each item's parameters (a function of the item index, or the same for all). */
export async function runNode(
  parameters: IDataObject | ((itemIndex: number) => IDataObject),
  options: RunOptions,
): Promise<Run> {
  const chunks: Run['chunks'] = [];
  const items = Array.from({ length: options.items ?? 1 }, (_, i) => ({ json: { index: i } }));
  const paramsOf = typeof parameters === 'function' ? parameters : () => parameters;
  const context = {
    getInputData: () => items,
    getNode: () => NODE,
    getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
      const value = paramsOf(itemIndex)[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return fallback;
      throw new Error(`Could not get parameter "${name}"`);
    },
    getCredentials: async () => options.credentials,
    continueOnFail: () => options.continueOnFail ?? false,
    isStreaming: () => options.streaming ?? false,
    sendChunk: (type: string, itemIndex: number, content?: unknown) => chunks.push({ type, itemIndex, content }),
    getExecutionCancelSignal: () => options.signal,
    helpers: {
      httpRequestWithAuthentication: (_type: string, request: IHttpRequestOptions) =>
        httpRequestWithAuthentication(options.credentials, request),
    },
  } as unknown as IExecuteFunctions;
  const outputs = await (options.nodeType ?? new Connectly()).execute.call(context);
  return { outputs, chunks };
}
