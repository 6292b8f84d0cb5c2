// Runs the Connectly Trigger the way n8n does: its webhook methods with a stand-in for n8n's hook context
// whose request helper makes real HTTP requests (adding the credential's x-api-key header), and its
// webhook() behind a real HTTP server on 127.0.0.1 that answers as n8n's webhook endpoint does.
import { type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type {
  IDataObject,
  IHookFunctions,
  IHttpRequestOptions,
  INode,
  INodeExecutionData,
  IWebhookFunctions,
} from 'n8n-workflow';
import { ConnectlyTrigger } from '../../nodes/ConnectlyTrigger/ConnectlyTrigger.node';

export interface TriggerSetup {
  credentials: IDataObject;
  /** The node's parameters, as the editor saves them. */
  parameters?: IDataObject;
  /** The node's id: the redelivery memory is per node, so each test can use its own. */
  nodeId?: string;
}

export const triggerNode = (id = 'trigger-1'): INode => ({
  id,
  name: 'Connectly Trigger',
  type: 'n8n-nodes-connectly.connectlyTrigger',
  typeVersion: 1,
  position: [0, 0],
  parameters: {},
  webhookId: `webhook-${id}`,
});

/** What the node logged, by level: the take-over warning and configuration errors are told this way. */
export type Logged = Array<{ level: string; message: string }>;

function logger(logged: Logged) {
  const at = (level: string) => (message: string) => void logged.push({ level, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Sends the request with the credential's x-api-key header, buffering the answer, as n8n's helper does for `arraybuffer`. */
function bufferedRequest(credentials: IDataObject, options: IHttpRequestOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.headers as Record<string, string>), 'x-api-key': String(credentials['apiKey']) };
    const req = httpRequest(options.url, { method: options.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body as string | undefined);
  });
}

function parameterReader(parameters: IDataObject) {
  return (name: string, fallback?: unknown) => {
    const value = parameters[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new Error(`Could not get parameter "${name}"`);
  };
}

/** One trigger node of one workflow: its static data lives as long as this object, as n8n keeps it. */
export class TriggerUnderTest {
  readonly node: INode;
  readonly staticData: IDataObject = {};
  readonly logged: Logged = [];
  readonly type = new ConnectlyTrigger();

  constructor(
    private readonly setup: TriggerSetup,
    readonly webhookUrl: string,
  ) {
    this.node = triggerNode(setup.nodeId);
  }

  private hookContext(): IHookFunctions {
    const { credentials, parameters = {} } = this.setup;
    return {
      getNode: () => this.node,
      getNodeParameter: parameterReader(parameters),
      getNodeWebhookUrl: () => this.webhookUrl,
      getCredentials: async () => credentials,
      getWorkflowStaticData: () => this.staticData,
      getMode: () => 'trigger',
      getActivationMode: () => 'activate',
      logger: logger(this.logged),
      helpers: {
        httpRequestWithAuthentication: (_type: string, request: IHttpRequestOptions) =>
          bufferedRequest(credentials, request),
      },
    } as unknown as IHookFunctions;
  }

  /** What n8n does on activation: checkExists, then create when it says false. */
  async activate(): Promise<{ existed: boolean }> {
    const methods = this.type.webhookMethods.default;
    const existed = await methods.checkExists.call(this.hookContext());
    if (!existed) await methods.create.call(this.hookContext());
    return { existed };
  }

  checkExists(): Promise<boolean> {
    return this.type.webhookMethods.default.checkExists.call(this.hookContext());
  }

  create(): Promise<boolean> {
    return this.type.webhookMethods.default.create.call(this.hookContext());
  }

  deactivate(): Promise<boolean> {
    return this.type.webhookMethods.default.delete.call(this.hookContext());
  }

  /** Runs webhook() on one received request, answering on `res` as n8n's webhook endpoint does. */
  async receive(
    rawBody: Buffer,
    headers: IDataObject,
    res: ServerResponse,
  ): Promise<INodeExecutionData[][] | undefined> {
    const { credentials, parameters = {} } = this.setup;
    const response = {
      status(code: number) {
        res.statusCode = code;
        return response;
      },
      json(value: unknown) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(value));
        return response;
      },
    };
    const context = {
      getNode: () => this.node,
      getWorkflow: () => ({ id: 'workflow-1', active: true }),
      getNodeParameter: parameterReader(parameters),
      getCredentials: async () => credentials,
      getHeaderData: () => headers,
      // n8n 2.41 keeps no raw body for multipart forms (its body parser hands them to formidable).
      getRequestObject: () => ({
        rawBody: /^multipart\//i.test(String(headers['content-type'] ?? '')) ? undefined : rawBody,
        headers,
      }),
      getResponseObject: () => response,
      getMode: () => 'webhook',
      logger: logger(this.logged),
    } as unknown as IWebhookFunctions;
    const result = await this.type.webhook.call(context);
    // n8n answers 200 itself unless the node did (responseMode onReceived answers before the run).
    if (!result.noWebhookResponse) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ message: result.workflowData ? 'Workflow was started' : 'Webhook call received' }));
    }
    return result.workflowData;
  }
}

export interface ServedTrigger {
  url: string;
  /** The executions started, in order: each is the node's outputs. */
  runs: INodeExecutionData[][][];
  close(): Promise<void>;
}

/** Serves webhook() of `trigger` on 127.0.0.1, as n8n's /webhook/… endpoint would, recording each execution started. */
export async function serve(
  make: (url: string) => TriggerUnderTest,
): Promise<ServedTrigger & { trigger: TriggerUnderTest }> {
  const runs: INodeExecutionData[][][] = [];
  // Made once the server listens, since the node needs its address first.
  const made: { trigger?: TriggerUnderTest } = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      (made.trigger as TriggerUnderTest).receive(Buffer.concat(chunks), req.headers as IDataObject, res).then(
        (started) => {
          if (started) runs.push(started);
        },
        (error: Error) => {
          res.statusCode = 500;
          res.end(error.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/webhook/connectly`;
  const trigger = make(url);
  made.trigger = trigger;
  return {
    url,
    runs,
    trigger,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
