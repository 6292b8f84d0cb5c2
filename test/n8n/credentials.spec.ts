// The two credentials as n8n uses them: their names, their required fields, the requests their tests make
// and what those tests say, and the Messaging credential's authentication, which fails its test without a
// Webhook Secret and leaves every other request as it was.
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { ConnectlyApi } from '../../credentials/ConnectlyApi.credentials';
import { ConnectlyMessagingApi } from '../../credentials/ConnectlyMessagingApi.credentials';

const KEY = 'credential-key-DISTINCTIVE-5520';
const agent = new ConnectlyApi();
const messaging = new ConnectlyMessagingApi();
const field = (credential: { properties: Array<{ name: string }> }, name: string) =>
  credential.properties.find((p) => p.name === name);
const messages = (credential: ConnectlyApi | ConnectlyMessagingApi) =>
  Object.fromEntries(
    (credential.test.rules ?? []).map((rule) => [rule.properties['value'], rule.properties['message']]),
  );

/** The Messaging credential's authentication of one request. */
function authenticate(data: ICredentialDataDecryptedObject, request: IHttpRequestOptions) {
  return messaging.authenticate(data, request);
}

describe('the two credentials', () => {
  it('say which is for the AI agent and which for WhatsApp messages, each key with one name; type names kept', () => {
    expect([agent.name, agent.displayName, field(agent, 'apiKey')?.['displayName' as 'name']]).toEqual([
      'connectlyApi',
      'Connectly AI Agent API',
      'AI Agent Key',
    ]);
    expect([messaging.name, messaging.displayName, field(messaging, 'apiKey')?.['displayName' as 'name']]).toEqual([
      'connectlyMessagingApi',
      'Connectly WhatsApp Messaging API',
      'Messaging Key',
    ]);
  });

  it('mark the Webhook Secret required, and explain in words what the connection error codes mean', () => {
    expect(field(messaging, 'webhookSecret')).toMatchObject({ displayName: 'Webhook Secret', required: true });
    for (const credential of [agent, messaging]) {
      expect(field(credential, 'baseUrl')).toMatchObject({
        hint: expect.stringMatching(/ECONNREFUSED \(nothing answers there\), ENOTFOUND \(no server has that name\)/),
      });
    }
  });

  it('tests refuse redirects, and name the key to fix when Connectly refuses it', () => {
    for (const credential of [agent, messaging]) {
      expect(credential.test.request).toMatchObject({
        disableFollowRedirect: true,
        sendCredentialsOnCrossOriginRedirect: false,
      });
    }
    expect(messages(agent)[401]).toMatch(/does not accept this AI Agent Key/);
    expect(messages(agent)[403]).toMatch(/AI Agent Key is valid but not for this Business ID/);
    expect(messages(messaging)[401]).toMatch(/does not accept this Messaging Key/);
    expect(messages(messaging)[404]).toMatch(/no business with this Business ID/);
  });
});

describe("the WhatsApp Messaging credential's authentication", () => {
  const data = { apiKey: KEY, businessId: 'biz', baseUrl: 'http://127.0.0.1:1' };
  const testRequest = (): IHttpRequestOptions => ({ ...(messaging.test.request as IHttpRequestOptions), url: '/x' });

  it('fails the credential test without a Webhook Secret, naming the field', async () => {
    await expect(authenticate({ ...data, webhookSecret: '' }, testRequest())).rejects.toThrow(
      /^Webhook Secret is empty: enter the secret Connectly signs your webhook deliveries with/,
    );
    await expect(authenticate({ ...data, webhookSecret: '   ' }, testRequest())).rejects.toThrow(
      /Webhook Secret is empty/,
    );
  });

  it('with a secret, the test goes out with the key and without its marker', async () => {
    const request = await authenticate({ ...data, webhookSecret: 's' }, testRequest());
    expect(request.headers).toEqual({ 'x-api-key': KEY });
  });

  it('other requests (a WhatsApp send) go out with the key, secret or not', async () => {
    const send: IHttpRequestOptions = {
      url: 'http://127.0.0.1:1/v1/x',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    };
    await expect(authenticate({ ...data, webhookSecret: '' }, send)).resolves.toEqual({
      ...send,
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    });
  });
});
