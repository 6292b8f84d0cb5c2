// A served n8n for tests that need its webhooks and its public API: `n8n start` on the given environment,
// its owner account, an API key, and the workflow executions as n8n stored them.
import { type ChildProcess, spawn } from 'node:child_process';
import { stopN8n } from './n8n';

/** Polls `probe` every 500 ms until it returns something, for at most `ms`; `log` explains a failure. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  log: () => string = () => '',
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export interface ExecutionItem {
  json: Record<string, unknown>;
}

export interface Execution {
  id: string;
  status: string;
  mode: string;
  /** Per node that ran: its first run's outputs, each a list of items. */
  nodes: Record<string, ExecutionItem[][]>;
  /** The run's custom data, as nodes set it for the Executions list. */
  customData: Record<string, string>;
}

export interface ServedN8n {
  /** e.g. http://127.0.0.1:41234 */
  base: string;
  /** n8n's public API (`/api/v1…`) with the key created for the test. */
  api(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** n8n's own REST API (`/rest…`), as the editor calls it, signed in as the owner. */
  rest(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A workflow's stored executions, oldest first. */
  executions(workflowId: string): Promise<Execution[]>;
  /** Waits until `probe` returns something; a failure shows the end of n8n's log. */
  waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms?: number): Promise<T>;
  /** The end of what n8n printed. */
  logTail(): string;
  stop(): Promise<void>;
}

const OWNER = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Served-n8n-Passw0rd' };
const SCOPES = [
  'workflow:read',
  'workflow:list',
  'workflow:activate',
  'workflow:deactivate',
  'execution:read',
  'execution:list',
];

/**
 * Starts `n8n start` (`env` names its port in N8N_PORT, its data folder and everything else), sets up
 * its owner and an API key. Generous waits: the machine may be busy.
 */
export async function serveN8n(bin: string, env: NodeJS.ProcessEnv, cwd: string): Promise<ServedN8n> {
  const base = `http://127.0.0.1:${env['N8N_PORT']}`;
  let log = '';
  const server: ChildProcess = spawn(bin, ['start'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const logTail = () => `; n8n said:\n${log.slice(-3000)}`;
  const wait = <T>(probe: () => Promise<T | undefined>, what: string, ms?: number) => waitFor(probe, what, logTail, ms);
  let apiKey = '';
  let cookie = '';
  const headers = { 'content-type': 'application/json', 'browser-id': 'served-n8n' };
  const api: ServedN8n['api'] = async (method, path) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { 'x-n8n-api-key': apiKey, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  };
  try {
    await wait(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 'n8n start', 120_000);
    // /healthz answers before n8n's REST controllers are mounted: until then they answer 404.
    const mounted = (path: string, init: RequestInit) =>
      wait(
        async () => {
          const response = await fetch(`${base}/rest/${path}`, init);
          if (response.status === 404) return undefined;
          if (!response.ok) throw new Error(`${path} failed: ${response.status} ${await response.text()}`);
          return response;
        },
        `n8n's /rest/${path}`,
        120_000,
      );
    const setup = await mounted('owner/setup', { method: 'POST', headers, body: JSON.stringify(OWNER) });
    cookie = (setup.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
    const created = await mounted('api-keys', {
      method: 'POST',
      headers: { ...headers, cookie },
      body: JSON.stringify({ label: 'test', expiresAt: null, scopes: SCOPES }),
    });
    apiKey = ((await created.json()) as { data: { rawApiKey: string } }).data.rawApiKey;
  } catch (error) {
    await stopN8n(server);
    throw error;
  }
  return {
    base,
    api,
    async rest(method, path, body) {
      const response = await fetch(`${base}/rest${path}`, {
        method,
        headers: { ...headers, cookie },
        ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
      });
      return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
    },
    async executions(workflowId) {
      const { body } = await api('GET', `/executions?workflowId=${workflowId}&includeData=true&limit=250`);
      const list = (body['data'] ?? []) as Array<{
        id: string;
        status: string;
        mode: string;
        customData?: Record<string, string>;
        data?: {
          resultData?: {
            runData?: Record<string, Array<{ data?: { main: ExecutionItem[][] } }>>;
            metadata?: Record<string, string>;
          };
        };
      }>;
      return list
        .map(({ id, status, mode, data, customData }) => ({
          id,
          status,
          mode,
          customData: customData ?? data?.resultData?.metadata ?? {},
          nodes: Object.fromEntries(
            Object.entries(data?.resultData?.runData ?? {}).map(([node, runs]) => [node, runs[0]?.data?.main ?? []]),
          ),
        }))
        .sort((a, b) => Number(a.id) - Number(b.id));
    },
    waitFor: wait,
    logTail,
    stop: () => stopN8n(server),
  };
}
