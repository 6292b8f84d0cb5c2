// The API key never appears in anything this package makes: errors (message, stack, JSON, inspect) or the client.
import { inspect } from 'node:util';
import { type Observable, firstValueFrom } from 'rxjs';
import { ConnectlyClient, ConnectlyError } from '../src/index.js';
import { collectUntilError, line, text, useMockServer } from './helpers.js';

const KEY = 'sk-live-DISTINCTIVE-7c1e4a9b';
const h = useMockServer({ apiKey: KEY }, { apiKey: KEY });

function everythingObservable(value: unknown): string {
  const parts = [inspect(value, { showHidden: true, depth: 20 }), JSON.stringify(value) ?? '', String(value)];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '');
  return parts.join('\n');
}

async function failureOf(source: Observable<unknown>): Promise<unknown> {
  const { error } = await collectUntilError(source);
  expect(error).toBeInstanceOf(ConnectlyError);
  return error;
}

describe('the API key stays secret', () => {
  it('is not in the client: JSON, inspect, toString', () => {
    const client = h.client;
    expect(everythingObservable(client)).not.toContain(KEY);
    expect(JSON.stringify(client)).toContain('[redacted]');
  });

  it('is sent to the server all the same', async () => {
    await expect(firstValueFrom(h.client.health())).resolves.toEqual({ healthy: true });
  });

  const hostile: Array<[string, () => Promise<unknown>]> = [
    [
      'an error body that echoes the key',
      () => {
        h.mock.inject({
          endpoint: 'health',
          status: 401,
          body: JSON.stringify({ code: 16, message: `bad key ${KEY}`, details: [{ '@type': 'x', key: KEY }] }),
        });
        return failureOf(h.client.health());
      },
    ],
    [
      'an HTML error page that echoes the key',
      () => {
        h.mock.inject({ status: 502, body: `<html>proxy saw x-api-key: ${KEY}</html>` });
        return failureOf(h.client.invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }));
      },
    ],
    [
      'an error line mid-stream that echoes the key',
      () => {
        h.mock.inject({
          body: `${line('s', text('a'))}\n{"error":{"code":16,"message":"key ${KEY} revoked","details":[{"k":"${KEY}"}]}}\n`,
        });
        return failureOf(h.client.invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }));
      },
    ],
    [
      'a malformed line that contains the key',
      () => {
        h.mock.inject({ body: `{"oops ${KEY}\n` });
        return failureOf(h.client.invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }));
      },
    ],
    [
      'a unary body that is not JSON and contains the key',
      () => {
        h.mock.inject({ endpoint: 'init', body: `key=${KEY}` });
        return failureOf(h.client.init({ clientKey: 'c' }));
      },
    ],
    [
      'a wrong shape that contains the key',
      () => {
        h.mock.inject({ endpoint: 'init', body: JSON.stringify({ response: { other: KEY } }) });
        return failureOf(h.client.init({ clientKey: 'c' }));
      },
    ],
    [
      'a timeout',
      () => {
        h.mock.inject({ stall: 'headers' });
        return failureOf(h.clientWith({ timeoutMs: 100 }).invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }));
      },
    ],
    [
      'a refused connection',
      () =>
        failureOf(
          new ConnectlyClient({ apiKey: KEY, businessId: 'b', baseUrl: 'http://127.0.0.1:9', maxRetries: 0 }).health(),
        ),
    ],
    [
      'a reset connection',
      () => {
        h.mock.inject({ events: [text('a'), text('b')], resetAfterEvents: 1 });
        return firstValueFrom(h.client.init({ clientKey: 'c' })).then(({ sessionId }) =>
          failureOf(h.client.invoke({ clientKey: 'c', sessionId, text: 'hi' })),
        );
      },
    ],
    [
      'a validation error',
      async () => {
        try {
          new ConnectlyClient({ apiKey: KEY, businessId: 'b', baseUrl: `not a url ${KEY}` });
        } catch (error) {
          return error;
        }
        throw new Error('no error');
      },
    ],
  ];

  it.each(hostile)('is not in the error for %s', async (_, produce) => {
    const error = await produce();
    const seen = everythingObservable(error);
    expect(seen).not.toContain(KEY);
    expect(seen.length).toBeGreaterThan(50);
  });
});
