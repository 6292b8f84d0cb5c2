// The pull interfaces: client.stream() and session.stream() as AsyncIterables, and a web ReadableStream,
// over real HTTP to the mock: same events and errors as invoke(), one request each, break aborts it.
import { ConnectlyApiError, ConnectlyValidationError, type AgentEvent } from '../src/index.js';
import { collect, useMockServer } from './helpers.js';

const h = useMockServer();

/** The events without the mock's `createdAt` stamps, which differ from one turn to the next. */
function timeless(events: AgentEvent[]): unknown {
  return JSON.parse(JSON.stringify(events, (key, value: unknown) => (key === 'createdAt' ? undefined : value)));
}

async function all(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('client.stream()', () => {
  it('yields the same events as invoke(), in order, from one request per iteration', async () => {
    const sessionId = await h.newSession();
    const request = { clientKey: 'customer-1', sessionId, text: 'I want a festive gift' };
    const expected = await collect(h.client.invoke(request));
    h.mock.clearRecords();
    const events = h.client.stream(request);
    expect(h.mock.requests).toHaveLength(0); // nothing is sent before the first iteration
    expect(timeless(await all(events))).toEqual(timeless(expected));
    expect(h.mock.requests.map((r) => r.endpoint)).toEqual(['invoke']);
    expect(timeless(await all(events))).toEqual(timeless(expected)); // iterating again is another turn, like subscribing again
    expect(h.mock.requests.map((r) => r.endpoint)).toEqual(['invoke', 'invoke']);
  });

  it('break aborts the request while the reply is still streaming', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ lineDelayMs: 200 });
    const seen: string[] = [];
    for await (const event of h.client.stream({ clientKey: 'customer-1', sessionId, text: 'gift ideas' })) {
      seen.push(event.type);
      break;
    }
    expect(seen).toEqual(['messageEvent']);
    await h.mock.waitForAbandoned();
  });

  it('delivers the events before a mid-stream error, then throws the same typed error as invoke()', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ errorAfterEvents: 1, code: 13 });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of h.client.stream({ clientKey: 'customer-1', sessionId, text: 'gift ideas' }))
        seen.push(event.type);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['messageEvent']);
    expect(error).toBeInstanceOf(ConnectlyApiError);
    expect(error).toMatchObject({ status: 200, code: 13, codeName: 'INTERNAL' });
  });

  it('rejects bad input on the first step, before the network, like invoke()', async () => {
    const events = h.client.stream({ clientKey: 'customer-1', sessionId: '', text: 'Hi' });
    await expect(all(events)).rejects.toBeInstanceOf(ConnectlyValidationError);
    expect(h.mock.requests).toHaveLength(0);
  });

  it('honours an AbortSignal in the call options', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ lineDelayMs: 200 });
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of h.client.stream(
        { clientKey: 'customer-1', sessionId, text: 'gift ideas' },
        { signal: controller.signal },
      )) {
        seen.push(event.type);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['messageEvent']);
    expect((error as Error).name).toBe('ConnectlyAbortError');
    await h.mock.waitForAbandoned();
  });
});

describe('session.stream()', () => {
  it('starts the session on first use and streams each turn', async () => {
    const session = h.client.session({ clientKey: 'customer-2' });
    const first = await all(session.stream('Hi'));
    const second = await all(session.stream('show me the menu'));
    expect(first.map((e) => e.type)).toContain('messageEvent');
    expect(second.map((e) => e.type)).toContain('connectlyInteractiveEvent');
    expect(h.mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke', 'invoke']);
    expect(new Set([...first, ...second].map((e) => e.sessionId)).size).toBe(1);
    await session.close();
  });
});

describe('client.readableStream()', () => {
  it('a web ReadableStream of the same events; cancel() aborts the request', async () => {
    const sessionId = await h.newSession();
    const request = { clientKey: 'customer-1', sessionId, text: 'I want a festive gift' };
    const expected = await collect(h.client.invoke(request));
    const reader = h.client.readableStream(request).getReader();
    const read: AgentEvent[] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) read.push(chunk.value);
    expect(timeless(read)).toEqual(timeless(expected));

    h.mock.inject({ lineDelayMs: 200 });
    const slow = h.client.readableStream(request).getReader();
    expect((await slow.read()).value?.type).toBe('messageEvent');
    await slow.cancel();
    await h.mock.waitForAbandoned();
  });

  it('errors the stream with the typed error after the events before it', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ errorAfterEvents: 1, code: 13 });
    const reader = h.client.readableStream({ clientKey: 'customer-1', sessionId, text: 'gift ideas' }).getReader();
    expect((await reader.read()).value?.type).toBe('messageEvent');
    await expect(reader.read()).rejects.toBeInstanceOf(ConnectlyApiError);
  });
});
