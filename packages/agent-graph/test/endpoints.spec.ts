// init, invoke_sync, close and health, through real HTTP.
import { firstValueFrom } from 'rxjs';
import { ConnectlyApiError, ConnectlyProtocolError, isEventType } from '../src/index.js';
import { collect, collectUntilError, useMockServer } from './helpers.js';

const h = useMockServer();

describe('init', () => {
  it('returns a sessionId the server knows', async () => {
    const { sessionId } = await firstValueFrom(h.client.init({ clientKey: 'customer-9' }));
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.mock.sessions.get(sessionId)).toMatchObject({
      clientKey: 'customer-9',
      businessId: 'biz-1',
      closed: false,
    });
    expect(h.mock.requests.at(-1)?.body).toEqual({ businessId: 'biz-1', clientKey: 'customer-9' });
  });

  it('sends a per-call businessId instead of the client default', async () => {
    await firstValueFrom(h.client.init({ clientKey: 'c', businessId: 'other-biz' }));
    expect(h.mock.requests.at(-1)?.body).toEqual({ businessId: 'other-biz', clientKey: 'c' });
  });

  it('rejects an answer without a sessionId as a protocol error', async () => {
    h.mock.inject({ endpoint: 'init', body: '{"response":{}}' });
    const { error } = await collectUntilError(h.client.init({ clientKey: 'c' }));
    expect(error).toBeInstanceOf(ConnectlyProtocolError);
    expect((error as Error).message).toMatch(/no "response.sessionId"/);
  });
});

describe('invokeSync', () => {
  it('emits the aggregated events of the turn', async () => {
    const sessionId = await h.newSession();
    const events = await collect(h.client.invokeSync({ clientKey: 'customer-1', sessionId, text: 'show me the menu' }));
    expect(events.map((e) => e.type)).toEqual(['messageEvent', 'connectlyInteractiveEvent']);
    expect(events.every((e) => e.sessionId === sessionId)).toBe(true);
    const interactive = events[1];
    expect(
      interactive &&
        isEventType(interactive, 'connectlyInteractiveEvent') &&
        interactive.connectlyInteractiveEvent.interactive?.listMessage?.sections,
    ).toHaveLength(2);
  });

  it('turns a non-2xx bare status into a ConnectlyApiError', async () => {
    h.mock.inject({ endpoint: 'invoke_sync', status: 400, code: 3, message: 'bad input' });
    const { error } = await collectUntilError(h.client.invokeSync({ clientKey: 'c', sessionId: 's', text: 'hi' }));
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 400, code: 3, endpoint: 'invoke_sync' });
  });
});

describe('close', () => {
  it('closes the session; a later invoke on it fails with NOT_FOUND', async () => {
    const sessionId = await h.newSession();
    await expect(firstValueFrom(h.client.close({ clientKey: 'customer-1', sessionId }))).resolves.toEqual({
      sessionId,
      closed: true,
    });
    expect(h.mock.sessions.get(sessionId)?.closed).toBe(true);
    const { error } = await collectUntilError(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(error).toMatchObject({ status: 404, code: 5 });
  });

  it.each([
    ['one JSON document with "error": null', '{"result":{"response":{}},"error":null}'],
    ['one NDJSON line', '\n{"result":{"response":{}}}\n'],
  ])('accepts %s', async (_, body) => {
    h.mock.inject({ endpoint: 'close', body });
    await expect(firstValueFrom(h.client.close({ clientKey: 'c', sessionId: 's' }))).resolves.toEqual({
      sessionId: 's',
      closed: true,
    });
  });

  it('reports an error in the close envelope', async () => {
    h.mock.inject({
      endpoint: 'close',
      body: '{"result":{"response":{}},"error":{"code":9,"message":"already closed"}}',
    });
    const { error } = await collectUntilError(h.client.close({ clientKey: 'c', sessionId: 's' }));
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 200, code: 9, serverMessage: 'already closed' });
  });
});

describe('health', () => {
  it('reports healthy', async () => {
    await expect(firstValueFrom(h.client.health({ clientKey: 'probe' }))).resolves.toEqual({ healthy: true });
  });

  it('treats a missing "healthy" as unhealthy', async () => {
    h.mock.inject({ endpoint: 'health', unhealthy: true });
    await expect(firstValueFrom(h.client.health())).resolves.toEqual({ healthy: false });
  });

  it('a wrong API key is UNAUTHENTICATED with a hint about the key', async () => {
    const { error } = await collectUntilError(h.clientWith({ apiKey: 'not-the-key' }).health());
    expect(error).toBeInstanceOf(ConnectlyApiError);
    expect(error).toMatchObject({ status: 401, code: 16, codeName: 'UNAUTHENTICATED' });
    expect((error as Error).message).toMatch(/Check the API key/);
  });
});
