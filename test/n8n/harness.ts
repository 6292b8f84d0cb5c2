// Runs the node's execute() the way n8n does, with a stand-in for n8n's execution context whose HTTP
// helper makes real requests (adding the credential's x-api-key header, as n8n's authenticate block does).
import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type {
  IDataObject,
  IExecuteFunctions,
  IHttpRequestOptions,
  INode,
  INodeExecutionData,
  WorkflowExecuteMode,
} from 'n8n-workflow';
import { Connectly } from '../../nodes/Connectly/Connectly.node';
import { LATEST_VERSION } from '../../nodes/Connectly/shared/versions';

export interface Run {
  outputs: INodeExecutionData[][];
  chunks: Array<{ type: string; itemIndex: number; content?: unknown }>;
  /** Every request the node handed n8n's helper, as the node built it (before the credential adds its header). */
  helperRequests: Array<{ credential: string; url: string; headers: Record<string, string> }>;
  /** The run's custom data, as n8n keeps it for the Executions list. */
  customData: Record<string, string>;
  /** The hints the node gave n8n for its output. */
  hints: Array<{ message: string; location?: string }>;
  /** What the node logged as warnings through n8n's logger. */
  warnings: string[];
}

export interface RunOptions {
  credentials: IDataObject;
  /** The connectlyMessagingApi credential, for the Message resource. */
  messagingCredentials?: IDataObject;
  /** The input items' JSON; by default `items` items of `{ index }`. */
  input?: IDataObject[];
  continueOnFail?: boolean;
  /** The node's On Error setting (with `continueOnFail`): n8n's error output needs a leaner item. */
  onError?: INode['onError'];
  streaming?: boolean;
  signal?: AbortSignal;
  items?: number;
  /** The node to run: the sources by default, or the built bundle. */
  nodeType?: Connectly;
  /** The node's version in the workflow (the newest by default). */
  typeVersion?: number;
  /** How n8n's request helper treats the abort signal and a streamed body (see the helpers below). */
  requestHelper?: 'headers-only' | 'n8n-2.41';
  /** The credentials the node is saved with, as n8n names them on the node. */
  nodeCredentials?: INode['credentials'];
  /** What n8n hands the node for its Shared State input (a chat memory sub-node's `response`), per item. */
  memory?: (itemIndex: number) => unknown;
  /** Runs the node as n8n's Tool variant of it, which has no inputs. */
  asTool?: boolean;
  /** How the execution was started, as n8n's getMode() tells it; `manual` (a test in the editor) by default. */
  mode?: WorkflowExecuteMode;
}

export const NODE: INode = {
  id: 'node-1',
  name: 'Connectly',
  type: 'n8n-nodes-connectly.connectly',
  typeVersion: LATEST_VERSION,
  position: [0, 0],
  parameters: {},
};

// Like the least helpful n8n: abortSignal cancels the request until the headers arrive, and does nothing
// to a response body that is already streaming (the node must end that itself).
function headersOnlyRequest(
  credentials: IDataObject,
  options: IHttpRequestOptions,
  url = options.url,
  hops = 0,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const signal = options.abortSignal as AbortSignal | undefined;
    const cancel = (): void => void req.destroy(signal?.reason as Error);
    const req = send(credentials, options, url, (res) => {
      signal?.removeEventListener('abort', cancel);
      const next = redirectOf(res, options, url, hops);
      if (next) resolve(headersOnlyRequest(credentials, options, next, hops + 1));
      else resolve({ statusCode: res.statusCode, headers: res.headers, body: res });
    });
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    req.on('error', reject);
  });
}

// Like n8n 2.41 (n8n-core's httpRequestWithAuthentication over axios 1.21): the execution's cancel signal
// replaces the request's whenever the context has one, aborting the request still ends it once the body
// streams (reporting the abort as an 'error' on a body not yet destroyed), and the body is the socket's
// wrapped in Readable.from(), whose destroy() cannot end a read pending on a stalled socket.
function n8n241Request(
  context: IExecuteFunctions,
  credentials: IDataObject,
  options: IHttpRequestOptions,
  url = options.url,
  hops = 0,
): Promise<unknown> {
  const signal = (
    'getExecutionCancelSignal' in context ? context.getExecutionCancelSignal?.() : options.abortSignal
  ) as AbortSignal | undefined;
  return new Promise((resolve, reject) => {
    let body: Readable | undefined;
    const cancel = (): void => {
      if (body && !body.destroyed) {
        body.emit('error', signal?.reason);
        body.destroy();
      }
      req.destroy(signal?.reason as Error);
    };
    const req = send(credentials, options, url, (res) => {
      const next = redirectOf(res, options, url, hops);
      if (next) {
        signal?.removeEventListener('abort', cancel);
        resolve(n8n241Request(context, credentials, options, next, hops + 1));
        return;
      }
      body = Readable.from(
        (async function* () {
          for await (const chunk of res) yield chunk as Buffer;
        })(),
        { objectMode: false },
      );
      resolve({ statusCode: res.statusCode, headers: res.headers, body });
    });
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    req.on('error', reject);
  });
}

// Like n8n for `encoding: 'arraybuffer'`: the whole body read into a Buffer.
async function bufferedRequest(credentials: IDataObject, options: IHttpRequestOptions): Promise<unknown> {
  const response = (await headersOnlyRequest(credentials, options)) as { body: IncomingMessage };
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return { ...response, body: Buffer.concat(chunks) };
}

/** Sends the request to `url` with the credential's x-api-key header, as n8n's authenticate block adds it. */
function send(
  credentials: IDataObject,
  options: IHttpRequestOptions,
  url: string,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const headers = { ...(options.headers as Record<string, string>), 'x-api-key': String(credentials['apiKey']) };
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  const req = request(url, { method: options.method, headers }, onResponse);
  req.end(options.body as string);
  return req;
}

/**
 * Where a redirect sends the request next, as n8n follows it unless the request sets disableFollowRedirect
 * (with every header, x-api-key included); undefined for any other answer.
 */
function redirectOf(res: IncomingMessage, options: IHttpRequestOptions, url: string, hops: number): string | undefined {
  const location = res.headers.location;
  const status = res.statusCode ?? 0;
  if (status < 300 || status >= 400 || !location || options.disableFollowRedirect || hops >= 20) return undefined;
  res.resume();
  return new URL(location, url).href;
}

/** Executes the node once; `parameters` gives each item's parameters (a function of the item index, or the same for all). */
export async function runNode(
  parameters: IDataObject | ((itemIndex: number) => IDataObject),
  options: RunOptions,
): Promise<Run> {
  const chunks: Run['chunks'] = [];
  const helperRequests: Run['helperRequests'] = [];
  const customData: Run['customData'] = {};
  const hints: Run['hints'] = [];
  const warnings: string[] = [];
  const items =
    options.input?.map((json) => ({ json })) ??
    Array.from({ length: options.items ?? 1 }, (_, i) => ({ json: { index: i } as IDataObject }));
  const paramsOf = typeof parameters === 'function' ? parameters : () => parameters;
  const context = {
    getInputData: () => items,
    getNode: () => ({
      ...NODE,
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.typeVersion ? { typeVersion: options.typeVersion } : {}),
      ...(options.nodeCredentials ? { credentials: options.nodeCredentials } : {}),
    }),
    getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
      const value = paramsOf(itemIndex)[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return fallback;
      throw new Error(`Could not get parameter "${name}"`);
    },
    getCredentials: async (type: string) =>
      type === 'connectlyMessagingApi' ? options.messagingCredentials : options.credentials,
    continueOnFail: () => options.continueOnFail ?? false,
    getMode: () => options.mode ?? 'manual',
    logger: { debug: () => {}, info: () => {}, warn: (message: string) => warnings.push(message), error: () => {} },
    // As n8n-core lists the node's inputs from its description (the Tool variant's are none).
    getNodeInputs: () =>
      options.asTool
        ? []
        : ((options.nodeType ?? new Connectly()).description.inputs as Array<string | { type: string }>).map((input) =>
            typeof input === 'string' ? { type: input } : input,
          ),
    // As n8n-core's getInputConnectionData: undefined when nothing is connected to a single-connection input.
    getInputConnectionData: async (type: string, itemIndex: number) => {
      if (options.asTool) throw new Error('Node does not have input of type');
      return type === 'ai_memory' ? options.memory?.(itemIndex) : undefined;
    },
    isStreaming: () => options.streaming ?? false,
    sendChunk: (type: string, itemIndex: number, content?: unknown) => chunks.push({ type, itemIndex, content }),
    customData: { set: (key: string, value: string) => (customData[key] = value) },
    addExecutionHints: (...given: Run['hints']) => hints.push(...given),
    getExecutionCancelSignal: () => options.signal,
    helpers: {
      async httpRequestWithAuthentication(this: IExecuteFunctions, type: string, request: IHttpRequestOptions) {
        helperRequests.push({
          credential: type,
          url: request.url,
          headers: { ...(request.headers as Record<string, string>) },
        });
        const credentials =
          (type === 'connectlyMessagingApi' ? options.messagingCredentials : options.credentials) ?? {};
        if (request.encoding === 'arraybuffer') return await bufferedRequest(credentials, request);
        return options.requestHelper === 'n8n-2.41'
          ? n8n241Request(this, credentials, request)
          : headersOnlyRequest(credentials, request);
      },
    },
  } as unknown as IExecuteFunctions;
  const outputs = await (options.nodeType ?? new Connectly()).execute.call(context);
  return { outputs, chunks, helperRequests, customData, hints, warnings };
}
