// The mock server on its own, spoken to with plain fetch: the wire format a real client will meet.
import { connect } from 'node:net';
import { inspect } from 'node:util';
import { API_PATH, type Fault, MockConnectlyServer, demoReply, echoReply } from '../src/index.js';

const KEY = 'mock-test-key';
let mock: MockConnectlyServer;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  await mock.start();
});
beforeEach(() => mock.reset());
afterAll(() => mock.stop());

function post(endpoint: string, body: unknown, headers: Record<string, string> = {}, server = mock): Promise<Response> {
  return fetch(`${server.url}${API_PATH}/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function init(clientKey = 'c'): Promise<string> {
  const response = await post('init', { businessId: 'biz', clientKey });
  return ((await response.json()) as { response: { sessionId: string } }).response.sessionId;
}

const hello = [{ messageEvent: { role: 'USER', content: { textContent: { text: 'hello' } } } }];

describe('authentication and routing', () => {
  it('answers 401 UNAUTHENTICATED without an x-api-key', async () => {
    const response = await fetch(`${mock.url}${API_PATH}/health`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 16,
      message: 'missing API key: send it in the x-api-key header',
      details: [],
    });
  });

  it('answers 401 for a wrong key, with the header name matched case-insensitively', async () => {
    const response = await post('health', { businessId: 'biz', clientKey: 'c' }, { 'X-API-Key': 'wrong' });
    expect(response.status).toBe(401);
  });

  it('answers 403 PERMISSION_DENIED for another business', async () => {
    const response = await post('init', { businessId: 'other', clientKey: 'c' });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: number }).code).toBe(7);
  });

  it('answers 404 for an unknown path and 405 for GET', async () => {
    expect((await post('nope', {})).status).toBe(404);
    expect((await fetch(`${mock.url}${API_PATH}/health`)).status).toBe(405);
  });

  it('answers 400 INVALID_ARGUMENT for a body that is not JSON or misses fields', async () => {
    const notJson = await post('init', '{nope');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { code: number }).code).toBe(3);
    expect((await post('init', { businessId: 'biz' })).status).toBe(400);
  });
});

describe('endpoints and wire format', () => {
  it('init, invoke, invoke_sync, close and health with camelCase', async () => {
    const sessionId = await init();
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const stream = await post('invoke', { businessId: 'biz', clientKey: 'c', sessionId, inputEvents: hello });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('application/json');
    expect(stream.headers.get('transfer-encoding')).toBe('chunked');
    const lines = (await stream.text()).split('\n');
    expect(lines[0]).toBe(''); // a keep-alive before the first event
    expect(lines.at(-1)).toBe('');
    const events = lines
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { result: { response: { sessionId: string; responseEvents: unknown[] } } });
    expect(
      events.every((l) => l.result.response.sessionId === sessionId && l.result.response.responseEvents.length === 1),
    ).toBe(true);
    expect(events.map((l) => l.result.response.responseEvents[0])).toEqual(
      demoReply(hello).map((e) =>
        expect.objectContaining(Object.fromEntries(Object.keys(e).map((k) => [k, expect.anything()]))),
      ),
    );
    const sync = (await (
      await post('invoke_sync', { businessId: 'biz', clientKey: 'c', sessionId, inputEvents: hello })
    ).json()) as {
      response: { sessionId: string; responseEvents: unknown[] };
    };
    expect(sync.response.sessionId).toBe(sessionId);
    expect(sync.response.responseEvents).toHaveLength(2);
    expect(await (await post('health', { businessId: 'biz', clientKey: 'c' })).json()).toEqual({
      response: { healthy: true },
    });
    const close = await post('close', { businessId: 'biz', clientKey: 'c', sessionId });
    expect(await close.text()).toBe('{"result":{"response":{}}}\n');
  });

  it('accepts snake_case for every field', async () => {
    const response = await post('init', { business_id: 'biz', client_key: 'snake' });
    const sessionId = ((await response.json()) as { response: { sessionId: string } }).response.sessionId;
    const stream = await post('invoke', {
      business_id: 'biz',
      client_key: 'snake',
      session_id: sessionId,
      input_events: [{ message_event: { role: 'USER', content: { text_content: { text: 'I want a gift' } } } }],
    });
    expect(await stream.text()).toContain('recommendationEvent');
  });

  it('tracks sessions: unknown, wrong client and closed sessions are NOT_FOUND', async () => {
    const sessionId = await init('owner');
    const invoke = (clientKey: string, id: string) =>
      post('invoke', { businessId: 'biz', clientKey, sessionId: id, inputEvents: hello });
    expect((await invoke('owner', 'missing')).status).toBe(404);
    expect((await invoke('intruder', sessionId)).status).toBe(404);
    await post('close', { businessId: 'biz', clientKey: 'owner', sessionId });
    const closed = await invoke('owner', sessionId);
    expect(closed.status).toBe(404);
    expect(await closed.json()).toMatchObject({ code: 5, message: `session ${sessionId} is closed` });
  });

  it('rejects empty inputEvents and elements with two keys', async () => {
    const sessionId = await init();
    expect((await post('invoke', { businessId: 'biz', clientKey: 'c', sessionId, inputEvents: [] })).status).toBe(400);
    const two = await post('invoke', {
      businessId: 'biz',
      clientKey: 'c',
      sessionId,
      inputEvents: [{ messageEvent: {}, storeEvent: {} }],
    });
    expect(two.status).toBe(400);
  });

  it('the demo agent covers every event kind', () => {
    const kinds = (text: string) =>
      demoReply([{ messageEvent: { role: 'USER', content: { textContent: { text } } } }]).flatMap(Object.keys);
    expect(kinds('hello')).toEqual(['messageEvent', 'chatSuggestionEvent']);
    expect(kinds('a festive gift')).toEqual(['messageEvent', 'recommendationEvent', 'chatSuggestionEvent']);
    expect(kinds('show me the menu')).toEqual(['messageEvent', 'connectlyInteractiveEvent']);
    expect(kinds('can I talk to a human')).toEqual(['messageEvent', 'agentHandoverEvent']);
    expect(kinds('where is my order')).toEqual(['messageEvent', 'orderStatusHandoverEvent']);
    expect(kinds('stores near me')).toEqual(['messageEvent', 'locationQueryHandoverEvent']);
    expect(kinds('let me browse')).toEqual(['messageEvent', 'storefrontHandoverEvent']);
    expect(kinds('gift wrapping?')).toEqual(['messageEvent', 'connectlyInteractiveEvent']);
    expect(demoReply([{ buttonResponseEvent: { id: 'wrap-yes', title: 'Yes, please' } }]).flatMap(Object.keys)).toEqual(
      ['messageEvent', 'chatSuggestionEvent'],
    );
  });
});

describe('conversation checks', () => {
  it('counts a turn that arrives while another of the same customer is in flight as an overlap', async () => {
    const sessionId = await init('c');
    const other = await init('d');
    mock.inject({ endpoint: 'invoke', delayMs: 200 });
    const turn = (id: string, clientKey: string) =>
      post('invoke', { businessId: 'biz', clientKey, sessionId: id, inputEvents: hello }).then((r) => r.text());
    const slow = turn(sessionId, 'c');
    while (!mock.requests.some((request) => request.endpoint === 'invoke')) await new Promise((r) => setTimeout(r, 5));
    await Promise.all([turn(other, 'd'), slow]);
    expect(mock.overlaps).toBe(0); // another customer's turn is not an overlap
    mock.inject({ endpoint: 'invoke', delayMs: 200 });
    const held = turn(sessionId, 'c');
    while (mock.requests.filter((request) => request.endpoint === 'invoke').length < 3) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all([turn(sessionId, 'c'), held]);
    expect(mock.overlaps).toBe(1);
    mock.clearRecords();
    expect(mock.overlaps).toBe(0);
  });

  it('forget() makes a session unknown, as an expired one is: invoke answers 404 NOT_FOUND', async () => {
    const sessionId = await init('c');
    mock.forget(sessionId);
    const response = await post('invoke', { businessId: 'biz', clientKey: 'c', sessionId, inputEvents: hello });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 5 });
  });

  it('the echo agent repeats what one turn carried, in order', () => {
    const say = (text: string) => ({ messageEvent: { role: 'USER', content: { textContent: { text } } } });
    expect(echoReply([say('a'), say('b')])).toMatchObject([
      { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'heard: a | b' } } } },
    ]);
  });
});

describe('fault injection', () => {
  async function invokeWith(fault: Fault, viaHeader = false): Promise<Response> {
    const sessionId = await init();
    if (!viaHeader) mock.inject(fault);
    return post(
      'invoke',
      { businessId: 'biz', clientKey: 'c', sessionId, inputEvents: hello },
      viaHeader ? { 'x-mock-fault': JSON.stringify(fault) } : {},
    );
  }

  it('an HTTP error with Retry-After, in each body shape', async () => {
    const wrapped = await invokeWith({ status: 429, retryAfter: 3 });
    expect(wrapped.status).toBe(429);
    expect(wrapped.headers.get('retry-after')).toBe('3');
    expect(await wrapped.json()).toEqual({ error: { code: 8, message: 'injected HTTP 429', details: [] } });
    const bare = await invokeWith({ status: 503, errorBody: 'status' });
    expect(await bare.json()).toEqual({ code: 14, message: 'injected HTTP 503', details: [] });
    const html = await invokeWith({ status: 502, errorBody: 'html' });
    expect(html.headers.get('content-type')).toBe('text/html');
  });

  it('the same faults by header, for clients in another process', async () => {
    const response = await invokeWith({ status: 503, retryAfter: 1 }, true);
    expect(response.status).toBe(503);
    const bad = await post('health', {}, { 'x-mock-fault': 'not json' });
    expect(bad.status).toBe(400);
  });

  it('an error line mid-stream after N events, with HTTP 200', async () => {
    const response = await invokeWith({ errorAfterEvents: 1, code: 13, message: 'boom', errorFinalNewline: false });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.endsWith('{"error":{"code":13,"message":"boom","details":[]}}')).toBe(true);
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('a connection reset mid-line', async () => {
    const response = await invokeWith({ resetAfterEvents: 0, resetMidLine: true });
    await expect(response.text()).rejects.toThrow();
  });

  it('byte-by-byte chunking: each byte arrives as its own HTTP chunk', async () => {
    const sessionId = await init();
    mock.inject({ chunkSize: 1, events: [{ messageEvent: { content: { textContent: { text: 'é' } } } }] });
    const body = JSON.stringify({ businessId: 'biz', clientKey: 'c', sessionId, inputEvents: hello });
    const { port } = new URL(mock.url);
    const chunks = await new Promise<Buffer>((resolve, reject) => {
      const raw: Buffer[] = [];
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST ${API_PATH}/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${KEY}\r\n` +
            `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      });
      socket.on('data', (data: Buffer) => raw.push(data));
      socket.on('end', () => resolve(Buffer.concat(raw)));
      socket.on('error', reject);
    });
    // Chunked framing of a 1-byte chunk is "1\r\n<byte>\r\n".
    expect((chunks.toString('latin1').match(/\r\n1\r\n/g) ?? []).length).toBeGreaterThan(50);
  });

  it('a keep-alive flood, CRLF endings and several events per line', async () => {
    const events = [{ a: 1 }, { b: 2 }, { c: 3 }];
    const response = await invokeWith({ events, keepAlive: 100, lineEnding: '\r\n', eventsPerLine: 2 });
    const text = await response.text();
    expect(text.split('\r\n').filter((l) => l === '').length).toBeGreaterThanOrEqual(200);
    const lines = text
      .split('\r\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { result: { response: { responseEvents: unknown[] } } });
    expect(lines.map((l) => l.result.response.responseEvents)).toEqual([[{ a: 1 }, { b: 2 }], [{ c: 3 }]]);
  });

  it('a raw body, as given', async () => {
    const response = await invokeWith({ bodyBase64: Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]).toString('base64') });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
  });

  it('a stall before the headers, for as long as asked', async () => {
    const started = Date.now();
    const response = await invokeWith({ stall: 'headers', stallMs: 200 });
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('faults apply to their endpoint only, and `times` of them', async () => {
    mock.inject({ endpoint: 'health', status: 500, times: 2 });
    const health = () => post('health', { businessId: 'biz', clientKey: 'c' });
    expect((await init()).length).toBeGreaterThan(0);
    expect((await health()).status).toBe(500);
    expect((await health()).status).toBe(500);
    expect((await health()).status).toBe(200);
  });

  it('a fault can be bound to one session, for concurrent tests', async () => {
    const [a, b] = [await init('a'), await init('b')];
    mock.inject({ sessionId: b, status: 503 });
    const invoke = (clientKey: string, sessionId: string) =>
      post('invoke', { businessId: 'biz', clientKey, sessionId, inputEvents: hello });
    expect((await invoke('a', a)).status).toBe(200);
    expect((await invoke('b', b)).status).toBe(503);
    expect((await invoke('b', b)).status).toBe(200);
  });

  it('reports streams the client abandoned', async () => {
    const sessionId = await init();
    mock.inject({ stall: 'body', afterEvents: 1 });
    const controller = new AbortController();
    const response = await fetch(`${mock.url}${API_PATH}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: JSON.stringify({ businessId: 'biz', clientKey: 'c', sessionId, inputEvents: hello }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await mock.waitForAbandoned(1);
    expect(mock.streams.find((s) => s.endpoint === 'invoke')).toMatchObject({ abandoned: true, sessionId });
    await mock.waitForIdle();
    expect(mock.openResponses).toBe(0);
  });

  it('records every request with the key hidden', async () => {
    await post('health', { businessId: 'biz', clientKey: 'c' });
    expect(mock.requests).toEqual([
      expect.objectContaining({ endpoint: 'health', method: 'POST', body: { businessId: 'biz', clientKey: 'c' } }),
    ]);
    expect(mock.requests[0]?.headers['x-api-key']).toBe('[redacted]');
  });
});

describe('lifecycle', () => {
  it('stop() ends stalled streams and frees the port', async () => {
    const server = new MockConnectlyServer();
    const url = await server.start();
    server.inject({ endpoint: 'health', stall: 'headers' });
    const pending = fetch(`${url}${API_PATH}/health`, {
      method: 'POST',
      headers: { 'x-api-key': 'k' },
      body: '{}',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.stop();
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${url}${API_PATH}/health`, { method: 'POST' })).rejects.toThrow();
  });

  // Node's default server closes a connection idle for 5 s; a busy client that reuses it just then loses
  // an invoke it may not re-send. The client's pool decides instead, so the same connection still
  // carries a request written after that default has passed.
  it('leaves an idle keep-alive connection open for the client to reuse or close', async () => {
    const socket = connect(Number(new URL(mock.url).port), '127.0.0.1');
    const answers: string[] = [];
    let buffered = '';
    let closed = false;
    socket.on('data', (data: Buffer) => {
      buffered += data.toString();
      const end = buffered.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(buffered)?.[1];
      if (end === -1 || length === undefined || buffered.length < end + 4 + Number(length)) return;
      answers.push(buffered.slice(0, end + 4 + Number(length)));
      buffered = '';
      socket.emit('answer');
    });
    socket.on('close', () => {
      closed = true;
      socket.emit('answer');
    });
    const body = JSON.stringify({ businessId: 'biz', clientKey: 'c' });
    const ask = (): Promise<void> =>
      new Promise((resolve) => {
        socket.once('answer', resolve);
        socket.write(
          `POST ${API_PATH}/health HTTP/1.1\r\nhost: mock\r\nx-api-key: ${KEY}\r\n` +
            `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      });
    try {
      await ask();
      expect(answers[0]).toMatch(/^HTTP\/1.1 200/);
      // No promise to close the connection after some idle time: the client's own limit applies.
      expect(answers[0]).not.toMatch(/^keep-alive:/im);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      expect(closed).toBe(false);
      await ask();
      expect(answers[1]).toMatch(/^HTTP\/1.1 200/);
    } finally {
      socket.destroy();
    }
  }, 15_000);

  it('url before start() says what to do', () => {
    expect(() => new MockConnectlyServer().url).toThrow(/call start\(\) first/);
  });
});

describe('no request, header or fault can crash or freeze the mock', () => {
  function raw(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(mock.url).port), '127.0.0.1', () => socket.end(request));
      let answer = '';
      socket.on('data', (data: Buffer) => (answer += data.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  it('answers a request line whose absolute URL has a port out of range, and keeps serving', async () => {
    const answer = await raw(
      'POST http://a:99999/ HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1.1 404/);
    expect((await post('health', { businessId: 'biz', clientKey: 'c' })).status).toBe(200);
  });

  it.each([
    [{ chunkSize: 1e-300 }, /chunkSize` must be a whole number from 1/],
    [{ chunkSize: -1 }, /chunkSize` must be a whole number from 1/],
    [{ keepAlive: 1e12 }, /keepAlive` must be a whole number from 0 to 1000000/],
    [{ stallMs: 'long' }, /stallMs` must be a whole number/],
    [{ keepAliveEveryMs: 0, lineDelayMs: 100 }, /keepAliveEveryMs` must be at least 1/],
    [{ status: 1000 }, /status` must be a whole number from 100 to 599/],
  ])('refuses the fault %j with a 400 naming the field', async (fault, message) => {
    const response = await post(
      'health',
      { businessId: 'biz', clientKey: 'c' },
      { 'x-mock-fault': JSON.stringify(fault) },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
    expect(() => mock.inject(fault as Fault)).toThrow(message);
  });

  it('answers an oversized request with 413, not a reset connection', async () => {
    const response = await post('init', `{"businessId":"biz","clientKey":"${'c'.repeat(9 * 1024 * 1024)}"}`);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: number }).code).toBe(8);
  });

  it('keeps only the newest records when told to', async () => {
    const bounded = new MockConnectlyServer({ maxRecords: 3 });
    await bounded.start();
    try {
      for (let i = 0; i < 5; i += 1) {
        await post('health', { businessId: 'b', clientKey: `c${i}` }, {}, bounded);
      }
      await bounded.waitForIdle();
      expect(bounded.requests.map((r) => (r.body as { clientKey: string }).clientKey)).toEqual(['c2', 'c3', 'c4']);
      expect(bounded.streams).toHaveLength(3);
    } finally {
      await bounded.stop();
    }
  });

  it('never shows its configured key, whatever prints it', () => {
    expect(inspect(mock, { depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify(mock)).not.toContain(KEY);
    expect(inspect(mock)).toMatch(/apiKey: '\[redacted\]'/);
  });
});
