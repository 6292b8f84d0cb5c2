// Bad options and bad input fail before the network, with a typed error that names the fix.
import type { Observable } from 'rxjs';
import {
  ConnectlyClient,
  ConnectlyMessagingClient,
  ConnectlyValidationError,
  DEFAULT_BASE_URL,
  type InvokeRequest,
  normalizeBaseUrl,
} from '../src/index.js';
import { API_KEY, collect, collectUntilError, useMockServer } from './helpers.js';

const h = useMockServer();

function validationError(run: () => unknown): ConnectlyValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectlyValidationError);
    return error as ConnectlyValidationError;
  }
  throw new Error('expected a ConnectlyValidationError');
}

/** The error an Observable method reports for bad input: the call itself must not throw. */
async function refused(call: () => Observable<unknown>): Promise<ConnectlyValidationError> {
  let observable: Observable<unknown> | undefined;
  expect(() => (observable = call())).not.toThrow();
  const { values, error } = await collectUntilError(observable as Observable<unknown>);
  expect(values).toEqual([]);
  expect(error).toBeInstanceOf(ConnectlyValidationError);
  return error as ConnectlyValidationError;
}

describe('client options', () => {
  it.each([
    [{ businessId: 'b' }, 'apiKey', /`apiKey` is required: your Connectly API key/],
    [{ apiKey: '', businessId: 'b' }, 'apiKey', /`apiKey` must not be empty/],
    [{ apiKey: 'k' }, 'businessId', /`businessId` is required/],
    [{ apiKey: 'k', businessId: 42 }, 'businessId', /`businessId` must be a string, got a number/],
    [{ apiKey: 'k', businessId: 'b', baseUrl: 'api.connectly.ai' }, 'baseUrl', /`baseUrl` must be an http\(s\) URL/],
    [
      { apiKey: 'k', businessId: 'b', baseUrl: 'http://127.0.0.1:99999' },
      'baseUrl',
      /^The port in `baseUrl` must be 1–65535, got 99999$/,
    ],
    [
      { apiKey: 'k', businessId: 'b', baseUrl: 'ftp://x.example' },
      'baseUrl',
      /must start with http:\/\/ or https:\/\//,
    ],
    [{ apiKey: 'k', businessId: 'b', timeoutMs: -1 }, 'timeoutMs', /≥ 0/],
    [{ apiKey: 'k', businessId: 'b', idleTimeoutMs: 'soon' }, 'idleTimeoutMs', /milliseconds/],
    [{ apiKey: 'k', businessId: 'b', maxRetries: 1.5 }, 'maxRetries', /whole number from 0 to 10/],
    [{ apiKey: 'k', businessId: 'b', maxLineLength: 0 }, 'maxLineLength', /positive number/],
    [{ apiKey: 'k', businessId: 'b', fetch: 'yes' }, 'fetch', /fetch-compatible function/],
    [{ apiKey: 'k', businessId: 'b', scheduler: {} }, 'scheduler', /setTimeout\(callback, ms\) and clearTimeout/],
    [
      { apiKey: 'k', businessId: 'b', scheduler: { setTimeout } },
      'scheduler',
      /setTimeout\(callback, ms\) and clearTimeout/,
    ],
    [{ apiKey: 'k', businessId: 'b', timeout: 5 }, 'timeout', /Unknown option `timeout`/],
  ])('rejects %j naming `%s`', (options, field, message) => {
    const error = validationError(() => new ConnectlyClient(options as never));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('accepts an https base URL with a path prefix and drops its trailing slash', () => {
    const client = new ConnectlyClient({
      apiKey: 'k',
      businessId: 'b',
      baseUrl: 'https://gateway.example.com/connectly/',
    });
    expect(client.baseUrl).toBe('https://gateway.example.com/connectly');
  });

  it('defaults to the real API', () => {
    expect(new ConnectlyClient({ apiKey: 'k', businessId: 'b' }).baseUrl).toBe('https://api.connectly.ai');
  });
});

describe('normalizeBaseUrl', () => {
  it('gives the address both clients use, so an adapter can key things by it before building one', () => {
    for (const given of [
      undefined,
      'http://127.0.0.1:4010/',
      'HTTPS://API.example.test//',
      'http://127.0.0.1:4010/proxy/',
    ]) {
      const options = { apiKey: API_KEY, businessId: 'b', ...(given === undefined ? {} : { baseUrl: given }) };
      expect(normalizeBaseUrl(given)).toBe(new ConnectlyClient(options).baseUrl);
      expect(normalizeBaseUrl(given)).toBe(new ConnectlyMessagingClient(options).baseUrl);
    }
    expect(normalizeBaseUrl(undefined)).toBe(DEFAULT_BASE_URL);
    expect(normalizeBaseUrl('http://127.0.0.1:4010/proxy/')).toBe('http://127.0.0.1:4010/proxy');
  });

  it("refuses a bad address with the client's error, and keeps the key out of it", () => {
    const error = validationError(() => normalizeBaseUrl(`not a url ${API_KEY}`, API_KEY));
    expect(error.field).toBe('baseUrl');
    expect(error.message).not.toContain(API_KEY);
  });
});

describe('invoke input', () => {
  const base = { clientKey: 'c', sessionId: 's' };
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['no sessionId', { clientKey: 'c', text: 'hi' }, 'sessionId', /`sessionId` is required: call init\(\) first/],
    [
      'an empty clientKey',
      { clientKey: ' ', sessionId: 's', text: 'hi' },
      'clientKey',
      /`clientKey` must not be empty/,
    ],
    [
      'a numeric sessionId',
      { clientKey: 'c', sessionId: 7, text: 'hi' },
      'sessionId',
      /must be a string, got a number/,
    ],
    ['neither text nor inputEvents', base, 'inputEvents', /`inputEvents` is required/],
    ['both text and inputEvents', { ...base, text: 'a', inputEvents: [] }, 'text', /either `text` or `inputEvents`/],
    ['empty inputEvents', { ...base, inputEvents: [] }, 'inputEvents', /at least one event/],
    ['inputEvents not an array', { ...base, inputEvents: { messageEvent: {} } }, 'inputEvents', /must be an array/],
    [
      'an element with no key',
      { ...base, inputEvents: [{}] },
      'inputEvents[0]',
      /is empty: it must hold exactly one event key/,
    ],
    [
      'an element with two keys',
      { ...base, inputEvents: [{ storeEvent: { storeId: '1' }, listReplyEvent: { id: 'x' } }] },
      'inputEvents[0]',
      /holds 2 event keys \(storeEvent, listReplyEvent\)/,
    ],
    [
      'an unknown event key',
      { ...base, inputEvents: [{ mesageEvent: {} }] },
      'inputEvents[0]',
      /unknown event key `mesageEvent`/,
    ],
    [
      'a message without role',
      { ...base, inputEvents: [{ messageEvent: { content: { textContent: { text: 'x' } } } }] },
      'inputEvents[0].messageEvent.role',
      /'USER' for the customer's words/,
    ],
    [
      'a message with two contents',
      {
        ...base,
        inputEvents: [
          { messageEvent: { role: 'USER', content: { textContent: { text: 'x' }, audioContent: { url: 'u' } } } },
        ],
      },
      'inputEvents[0].messageEvent.content',
      /exactly one of textContent, audioContent/,
    ],
    [
      'a latitude out of range',
      {
        ...base,
        inputEvents: [
          { messageEvent: { role: 'USER', content: { locationContent: { latitude: 123, longitude: 0 } } } },
        ],
      },
      'inputEvents[0].messageEvent.content.locationContent.latitude',
      /between -90 and 90/,
    ],
    [
      'a button reply without id or title',
      { ...base, inputEvents: [{ buttonResponseEvent: {} }] },
      'inputEvents[0].buttonResponseEvent',
      /needs an `id` or a `title`/,
    ],
    [
      'a numeric storeId',
      { ...base, inputEvents: [{ storeEvent: { storeId: 22473 } }] },
      'inputEvents[0].storeEvent.storeId',
      /must be a string, got a number/,
    ],
  ];

  it.each(cases)('rejects %s through the Observable, before any request', async (_, request, field, message) => {
    const error = await refused(() => h.client.invoke(request as InvokeRequest));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(h.mock.requests).toHaveLength(0);
  });

  it('normalises snake_case keys from a pasted example, but keeps form field names', async () => {
    const sessionId = (await collect(h.client.init({ clientKey: 'c' })))[0]?.sessionId as string;
    const request = {
      client_key: 'c',
      session_id: sessionId,
      input_events: [
        { message_event: { role: 'USER', content: { text_content: { text: 'Ola' } } } },
        {
          message_event: {
            role: 'user',
            content: { location_content: { latitude: '25.41914', longitude: '-49.26545', name: 'Curitiba' } },
          },
        },
        { filled_form_response_event: { form_data: { first_name: 'João', age: 41 } } },
        { list_reply_event: { id: 'list-item-id', title: 'Option Title', description: 'Option Description' } },
      ],
    };
    await collect(h.client.invoke(request as unknown as InvokeRequest));
    expect(h.mock.requests.at(-1)?.body).toEqual({
      businessId: 'biz-1',
      clientKey: 'c',
      sessionId,
      inputEvents: [
        { messageEvent: { role: 'USER', content: { textContent: { text: 'Ola' } } } },
        {
          messageEvent: {
            role: 'USER',
            content: { locationContent: { latitude: 25.41914, longitude: -49.26545, name: 'Curitiba' } },
          },
        },
        { filledFormResponseEvent: { formData: { first_name: 'João', age: '41' } } },
        { listReplyEvent: { id: 'list-item-id', title: 'Option Title', description: 'Option Description' } },
      ],
    });
  });

  it('accepts the legacy bare-string textContent and sends the object form', async () => {
    const sessionId = (await collect(h.client.init({ clientKey: 'c' })))[0]?.sessionId as string;
    await collect(
      h.client.invoke({
        clientKey: 'c',
        sessionId,
        inputEvents: [
          { messageEvent: { role: 'ASSISTANT', content: { textContent: 'Welcome!' as never } } },
          { messageEvent: { role: 'USER', content: { textContent: { text: 'hi' } } } },
        ],
      }),
    );
    expect((h.mock.requests.at(-1)?.body as { inputEvents: unknown[] }).inputEvents[0]).toEqual({
      messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Welcome!' } } },
    });
  });

  it('validates close, init, health, invoke_sync and the call options too, through the Observable', async () => {
    expect((await refused(() => h.client.close({ clientKey: 'c' } as never))).field).toBe('sessionId');
    expect((await refused(() => h.client.init({} as never))).field).toBe('clientKey');
    expect((await refused(() => h.client.health({ businessId: 5 } as never))).field).toBe('businessId');
    expect((await refused(() => h.client.invokeSync({ clientKey: 'c' } as never))).field).toBe('sessionId');
    const client = new ConnectlyClient({ apiKey: API_KEY, businessId: 'b' });
    const call = () => client.invoke({ clientKey: 'c', sessionId: 's', text: 'x' }, { timeoutMs: -5 });
    expect((await refused(call)).field).toBe('timeoutMs');
    expect(h.mock.requests).toHaveLength(0);
  });
});
