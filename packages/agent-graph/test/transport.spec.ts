// The transport is replaceable: any fetch-shaped function works, including one whose body is a Node
// Readable (as n8n's request helpers return with encoding 'stream').
import { request } from 'node:http';
import type { FetchLike } from '../src/index.js';
import { collect, collectUntilError, text, useMockServer } from './helpers.js';

const h = useMockServer();

/** A fetch built on node:http whose body is the IncomingMessage itself (an async iterable of Buffers). */
const nodeHttpFetch: FetchLike = (url, init) =>
  new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, signal: init.signal }, (res) =>
      resolve({
        status: res.statusCode ?? 0,
        headers: { get: (name) => (res.headers[name.toLowerCase()] as string | undefined) ?? null },
        body: res,
      }),
    );
    req.on('error', reject);
    req.end(init.body);
  });

describe('a transport whose body is a Node Readable', () => {
  it('streams the same events', async () => {
    const client = h.clientWith({ fetch: nodeHttpFetch });
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('Olá 👋'), text('b')], chunkSize: 1 });
    const events = await collect(client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(events.map((e) => e.type)).toEqual(['messageEvent', 'messageEvent']);
  });

  it('reports HTTP errors and cancels on unsubscribe', async () => {
    const client = h.clientWith({ fetch: nodeHttpFetch });
    h.mock.inject({ status: 404, code: 5, message: 'gone' });
    const { error } = await collectUntilError(client.invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }));
    expect(error).toMatchObject({ status: 404, code: 5, serverMessage: 'gone' });

    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a'), text('b')], stall: 'body', afterEvents: 1 });
    await new Promise<void>((resolve) => {
      const subscription = client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }).subscribe(() => {
        subscription.unsubscribe();
        resolve();
      });
    });
    await h.mock.waitForAbandoned(1);
  });
});
