// The transport is replaceable: any fetch-shaped function works, including one whose body is a Node
// Readable (as n8n's request helpers return with encoding 'stream').
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConnectlyClient,
  type ConnectlyClientOptions,
  ConnectlyValidationError,
  type FetchLike,
} from '../src/index.js';
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

describe('the default transport', () => {
  it('does not go through the global fetch: a process whose fetch is broken still reaches Connectly', async () => {
    const original = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new TypeError('this fetch is broken'));
    try {
      const sessionId = await h.newSession();
      h.mock.inject({ events: [text('Olá 👋'), text('b')], chunkSize: 1 });
      const events = await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
      expect(events.map((e) => e.type)).toEqual(['messageEvent', 'messageEvent']);
    } finally {
      globalThis.fetch = original;
    }
  });

  it('fetch: globalThis.fetch puts the platform fetch back in its place', async () => {
    let calls = 0;
    const client = h.clientWith({ fetch: (url, init) => ((calls += 1), globalThis.fetch(url, init)) });
    await expect(collect(client.health())).resolves.toEqual([{ healthy: true }]);
    expect(calls).toBe(1);
  });

  it('keeps a connection for the next turn, and pool.connections caps the connections to one origin', async () => {
    let connections = 0;
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"response":{"healthy":true}}');
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const options = { apiKey: 'k', businessId: 'b', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 };
      const pooled = new ConnectlyClient({ ...options, pool: { connections: 1, keepAliveTimeoutMs: 1_000 } });
      const answers = await Promise.all(Array.from({ length: 4 }, () => collect(pooled.health())));
      expect(answers).toEqual(Array.from({ length: 4 }, () => [{ healthy: true }]));
      expect(connections).toBe(1);
      const shared = new ConnectlyClient(options);
      for (let turn = 0; turn < 10; turn += 1) await collect(shared.health());
      // One turn after another: a connection freed as the next turn starts may not be free yet, so a second opens.
      expect(connections - 1).toBeLessThanOrEqual(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    [{ pool: { connections: 2 }, fetch: globalThis.fetch as never }, 'pool', /cannot go with `fetch`/],
    [{ pool: { connections: 0 } }, 'pool.connections', /from 1 to 65536, got 0/],
    [{ pool: { pipelining: 1.5 } }, 'pool.pipelining', /1: no pipelining/],
    [{ pool: { keepAlive: true } }, 'pool.keepAlive', /pool takes connections, keepAliveTimeoutMs, pipelining/],
    [{ pool: 16 }, 'pool', /must be an object/],
  ])('%j is refused with the fix named', (options, field, message) => {
    const make = (): ConnectlyClient =>
      new ConnectlyClient({ apiKey: 'k', businessId: 'b', ...(options as Partial<ConnectlyClientOptions>) });
    expect(make).toThrow(ConnectlyValidationError);
    expect(make).toThrow(message);
    try {
      make();
    } catch (error) {
      expect(error).toMatchObject({ field });
    }
  });
});
