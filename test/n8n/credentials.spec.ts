// The credential tests as n8n runs them when a credential is saved: the nodes' test functions, with a
// request helper like n8n's legacy one, against the mock and against an address where nothing listens.
import { createServer } from 'node:net';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { ConnectlyMessagingApi } from '../../credentials/ConnectlyMessagingApi.credentials';
import { Connectly } from '../../nodes/Connectly/Connectly.node';
import { ConnectlyTrigger } from '../../nodes/ConnectlyTrigger/ConnectlyTrigger.node';

const KEY = 'credential-test-key-DISTINCTIVE-5520';
const SECRET = 'credential-test-secret';
let mock: MockConnectlyServer;
let baseUrl: string;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz', messaging: { webhookSecret: SECRET } });
  baseUrl = await mock.start();
});
afterAll(() => mock.stop());

/** n8n's legacy request helper, as far as the tests use it: full response, any status, no redirects. */
const context: ICredentialTestFunctions = {
  logger: {} as ICredentialTestFunctions['logger'],
  helpers: {
    request: async (options: object) => {
      const { uri, method, headers, body } = options as {
        uri: string;
        method: string;
        headers: Record<string, string>;
        body?: object;
      };
      const response = await fetch(uri, {
        method,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        redirect: 'manual',
      });
      return { statusCode: response.status, body: await response.text() };
    },
  } as ICredentialTestFunctions['helpers'],
};

function test(type: 'agent' | 'messaging', data: Record<string, unknown>): Promise<INodeCredentialTestResult> {
  const functions = new Connectly().methods.credentialTest;
  const credential = { id: 'c1', name: 'c', type: 'x', data } as ICredentialsDecrypted;
  const run = type === 'agent' ? functions.testAgentCredential : functions.testMessagingCredential;
  return run.call(context, credential);
}

/** A loopback port where nothing listens. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the WhatsApp Messaging credential', () => {
  it('marks Webhook Secret required, and both nodes test it with the same function', () => {
    const secret = new ConnectlyMessagingApi().properties.find((p) => p.name === 'webhookSecret');
    expect(secret).toMatchObject({ displayName: 'Webhook Secret', required: true });
    expect(new ConnectlyMessagingApi().displayName).toBe('Connectly WhatsApp Messaging API');
    expect(new ConnectlyTrigger().description.credentials).toEqual([
      { name: 'connectlyMessagingApi', required: true, testedBy: 'testMessagingCredential' },
    ]);
    expect(new ConnectlyTrigger().methods.credentialTest.testMessagingCredential).toBe(
      new Connectly().methods.credentialTest.testMessagingCredential,
    );
  });

  it('fails without a Webhook Secret, naming the field, even with a good key', async () => {
    const result = await test('messaging', { apiKey: KEY, businessId: 'biz', baseUrl, webhookSecret: '' });
    expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/^Webhook Secret is empty: enter/) });
  });

  it('passes with the key, the Business ID and a secret', async () => {
    const result = await test('messaging', { apiKey: KEY, businessId: 'biz', baseUrl, webhookSecret: SECRET });
    expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
  });

  it('a wrong key names the Messaging Key, without showing it', async () => {
    const result = await test('messaging', { apiKey: `${KEY}-x`, businessId: 'biz', baseUrl, webhookSecret: SECRET });
    expect(result.status).toBe('Error');
    expect(result.message).toMatch(/does not accept this Messaging Key/);
    expect(result.message).not.toContain(KEY);
  });
});

describe('the AI Agent credential', () => {
  it('passes with the key and the Business ID, and names the AI Agent Key when Connectly refuses it', async () => {
    await expect(test('agent', { apiKey: KEY, businessId: 'biz', baseUrl })).resolves.toEqual({
      status: 'OK',
      message: 'Connection successful!',
    });
    const refused = await test('agent', { apiKey: `${KEY}-x`, businessId: 'biz', baseUrl });
    expect(refused.message).toMatch(/does not accept this AI Agent Key/);
  });

  it('an address where nothing answers is said in words, with the address and what to check', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const result = await test('agent', { apiKey: KEY, businessId: 'biz', baseUrl: address });
    expect(result).toEqual({
      status: 'Error',
      message: expect.stringContaining(
        `n8n cannot reach Connectly at ${address}: nothing answers at this address (connection refused) (ECONNREFUSED). Check the Base URL`,
      ),
    });
  });
});
