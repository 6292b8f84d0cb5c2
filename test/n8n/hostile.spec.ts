// Hostile servers and hostile parameters through the n8n node: redirects that would carry the key away,
// handover payloads that try to overwrite the item's own fields, and time limits no timer can hold.
import { NodeOperationError } from 'n8n-workflow';
import { runNode } from './harness';
import { closeHostileServers, hostile } from '../support/hostile-server';

const KEY = 'n8n-hostile-key-3c9d1e7f5a2b';

afterEach(closeHostileServers);

const send = (more: Record<string, unknown> = {}) => ({
  resource: 'agent',
  operation: 'sendMessage',
  clientKey: 'customer-1',
  sessionId: 'session-1',
  inputType: 'text',
  text: 'hi',
  output: 'reply',
  options: {},
  ...more,
});

const streamOf = (...events: unknown[]) =>
  `${events.map((event) => JSON.stringify({ result: { response: { sessionId: 'session-1', responseEvents: [event] } } })).join('\n')}\n`;

describe('no redirect is followed through n8n’s request helper', () => {
  it.each([301, 302, 307, 308])(
    'HTTP %i to another origin is refused, sent once, the key never leaves',
    async (status) => {
      const elsewhere = await hostile((_, res) => res.end(streamOf({ messageEvent: {} })));
      const redirector = await hostile((_, res) => {
        res.writeHead(status, { location: `${elsewhere.url}/steal` });
        res.end();
      });
      const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: redirector.url };
      const run = runNode(send(), { credentials });
      await expect(run).rejects.toThrow(NodeOperationError);
      await expect(run).rejects.toThrow(`redirect (HTTP ${status} to ${elsewhere.url}`);
      expect(redirector.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    },
  );

  it('a redirect loop on a health check is one request, not a retry storm', async () => {
    const loop = await hostile((req, res) => {
      res.writeHead(307, { location: req.url });
      res.end();
    });
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: loop.url };
    const { outputs } = await runNode(
      { resource: 'health', operation: 'check', options: { retries: 3 } },
      { credentials, continueOnFail: true },
    );
    expect(outputs[0]?.[0]?.json['error']).toMatch(/redirects are not followed/);
    expect(loop.requests).toHaveLength(1);
  });
});

describe('the Handover output', () => {
  it('keeps the item’s own sessionId, clientKey, type, text and held over the payload’s, and the payload whole', async () => {
    const payload = {
      triggerHandover: true,
      reason: 'human asked',
      sessionId: 'spoofed-session',
      clientKey: 'spoofed-customer',
      type: 'messageEvent',
      text: 'spoofed text',
      handover: false,
      held: 'spoofed',
    };
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(streamOf({ agentHandoverEvent: payload }));
    });
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: server.url };
    for (const output of ['reply', 'events']) {
      const { outputs } = await runNode(send({ output }), { credentials });
      expect(outputs[1]).toEqual([
        {
          json: {
            type: 'agentHandoverEvent',
            sessionId: 'session-1',
            clientKey: 'customer-1',
            handover: true,
            triggerHandover: true,
            reason: 'human asked',
            agentHandoverEvent: payload,
          },
          pairedItem: { item: 0 },
        },
      ]);
    }
  });
});

describe('fields named __proto__', () => {
  it('a kind or a handover field named __proto__ stays a field of the item, and the item a plain object', async () => {
    // Written as the wire carries it: JSON.parse would make "__proto__" an own field.
    const body =
      '{"result":{"response":{"sessionId":"session-1","responseEvents":[{"__proto__":{"polluted":true}},' +
      '{"agentHandoverEvent":{"triggerHandover":true,"reason":"human asked","__proto__":{"polluted":true}}}]}}}\n';
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(body);
    });
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: server.url };
    const { outputs } = await runNode(send({ output: 'events' }), { credentials });
    const [unknown] = outputs[0] ?? [];
    const [handover] = outputs[1] ?? [];
    for (const item of [unknown, handover]) {
      expect(Object.getPrototypeOf(item?.json)).toBe(Object.prototype);
      expect(Object.hasOwn(item?.json ?? {}, '__proto__')).toBe(true);
      expect(JSON.parse(JSON.stringify(item?.json))).toMatchObject({ ['__proto__']: { polluted: true } });
    }
    expect(Object.keys(unknown?.json ?? {})).toEqual(['type', 'sessionId', 'clientKey', '__proto__']);
    expect(handover?.json).toMatchObject({ type: 'agentHandoverEvent', handover: true, reason: 'human asked' });
  });
});

describe('time limits a timer can hold', () => {
  it.each([
    ['timeout', 'Timeout (Seconds)', 2_147_484],
    ['idleTimeout', 'Idle Timeout (Seconds)', 1e12],
    ['timeout', 'Timeout (Seconds)', -5],
  ])('%s = %s is refused before any request, naming the field and its maximum', async (name, label, value) => {
    const server = await hostile((_, res) => res.end());
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: server.url };
    const run = runNode(send({ options: { [name]: value } }), { credentials });
    await expect(run).rejects.toThrow(NodeOperationError);
    await expect(run).rejects.toThrow(`${label} must be a number of seconds from 1 to 2147483 (about 24 days)`);
    expect(server.requests).toHaveLength(0);
  });

  it('the largest allowed timeout is accepted', async () => {
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(streamOf({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'ok' } } } }));
    });
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: server.url };
    const { outputs } = await runNode(send({ options: { timeout: 2_147_483, idleTimeout: 2_147_483 } }), {
      credentials,
    });
    expect(outputs[0]?.[0]?.json['text']).toBe('ok');
  });
});

describe('what a streaming workflow passes on to the chat', () => {
  const say = (text: string) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });
  /** What the chat receives when a server streams these events as the agent's reply. */
  async function chatOf(...events: unknown[]): Promise<unknown[]> {
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(streamOf(...events));
    });
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: server.url };
    const { chunks } = await runNode(send(), { credentials, streaming: true });
    return chunks.map((chunk) => chunk.content);
  }

  it('keeps messages apart, and lets no server text open a link, image or script address of its own', async () => {
    expect(
      await chatOf(
        say('You said: “What is the weather like?”.'),
        say('I can suggest gifts.'),
        {
          recommendationEvent: {
            products: [
              { title: 'Evil](javascript:alert(1)) ![x', url: 'javascript:alert(1)', price: 5, currency: 'EUR' },
              { title: 'Odd', url: 'https://shop.example.com/a (b)', price: 1, currency: 'NOT-A-CURRENCY' },
              { price: 3 },
            ],
          },
        },
        { chatSuggestionEvent: { suggestedQuestions: ['[click](https://evil.example)', 42, ''] } },
      ),
    ).toEqual([
      undefined,
      'You said: “What is the weather like?”.',
      '\n\nI can suggest gifts.',
      '\n\n**Evil\\](javascript:alert(1)) !\\[x** — €5.00\n\n' +
        '**[Odd](https://shop.example.com/a%20%28b%29)** — 1 NOT-A-CURRENCY',
      '\n\nYou can also ask:\n- \\[click\\](https://evil.example)',
      undefined,
    ]);
  });

  it("lets the agent's text link to web addresses but load no image, tag or script of its own; an image event is an image", async () => {
    expect(
      await chatOf(
        say(
          'Look: ![](https://tracker.example/p.gif?customer=+15550001234) <img src="https://tracker.example/x"> ' +
            'and [our shop](https://shop.example.com/a), not [this](javascript:alert(1)). **Now**',
        ),
        say('# Title\n1. one\n- two\n> three\n==='),
        {
          messageEvent: {
            role: 'ASSISTANT',
            content: { imageContent: { url: 'https://cdn.example.com/photo.jpg' } },
          },
        },
        { messageEvent: { role: 'ASSISTANT', content: { imageContent: { url: 'javascript:alert(1)' } } } },
      ),
    ).toEqual([
      undefined,
      'Look: !\\[\\](https://tracker.example/p.gif?customer=+15550001234) \\<img src="https://tracker.example/x"\\> ' +
        'and [our shop](https://shop.example.com/a), not \\[this\\](javascript:alert(1)). \\*\\*Now\\*\\*',
      '\n\n\\# Title\n1\\. one\n\\- two\n\\> three\n\\===',
      '\n\n![Image](https://cdn.example.com/photo.jpg)',
      undefined,
    ]);
  });

  it('lets no line-start Markdown in product, suggestion or list text restructure the chat', async () => {
    expect(
      await chatOf(
        {
          recommendationEvent: {
            products: [
              { title: 'Aurora Scarf', description: '===', price: 5, currency: 'USD' },
              { title: '# Sale', description: '1. cheap', price: 1, currency: 'USD' },
              { title: 'Candle', description: '> quoted\n---', price: 2, currency: 'USD' },
            ],
          },
        },
        { chatSuggestionEvent: { suggestedQuestions: ['# Heading?', '1. First', '> quoted', '- dash', '+ plus'] } },
        {
          connectlyInteractiveEvent: {
            interactive: {
              listMessage: {
                body: { text: '## Pick one' },
                sections: [{ title: '=== menu', rows: [{ id: 'r', text: '1) first', description: '# big' }] }],
              },
            },
          },
        },
      ),
    ).toEqual([
      undefined,
      '**Aurora Scarf** — $5.00  \n\\===\n\n**\\# Sale** — $1.00  \n1\\. cheap\n\n**Candle** — $2.00  \n\\> quoted ---',
      '\n\nYou can also ask:\n- \\# Heading?\n- 1\\. First\n- \\> quoted\n- \\- dash\n- \\+ plus',
      '\n\n\\## Pick one\n\n_\\=== menu_\n\n- **1\\) first** — \\# big',
      undefined,
    ]);
  });
});
