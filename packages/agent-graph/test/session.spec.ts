// The session helper: one conversation with one customer, init on first use, turns, close.
import { lastValueFrom, toArray } from 'rxjs';
import { userText } from '../src/index.js';
import { useMockServer } from './helpers.js';

const h = useMockServer();

describe('session helper', () => {
  it('starts once, sends turns in the same session, and closes at the end', async () => {
    const session = h.client.session({ clientKey: 'shopper' });
    expect(session.sessionId).toBeUndefined();
    const first = await lastValueFrom(session.send('hello').pipe(toArray()));
    const sessionId = session.sessionId;
    expect(sessionId).toBeDefined();
    expect(first.every((e) => e.sessionId === sessionId)).toBe(true);
    const reply = await session.reply('I want a gift');
    expect(reply.products).toHaveLength(3);
    expect(h.mock.requests.filter((r) => r.endpoint === 'init')).toHaveLength(1);
    await session.close();
    await session.close(); // a second close does nothing
    expect(h.mock.sessions.get(sessionId as string)?.closed).toBe(true);
    expect(h.mock.requests.filter((r) => r.endpoint === 'close')).toHaveLength(1);
    const again = session.send('again'); // an Observable method never throws: it errors when subscribed
    await expect(lastValueFrom(again)).rejects.toThrow(/session is closed/);
    await expect(session.start()).rejects.toThrow(/session is closed/);
  });

  it('concurrent first turns share one init', async () => {
    const session = h.client.session({ clientKey: 'shopper' });
    await Promise.all([session.reply('hi'), session.reply('hello'), session.reply('hey')]);
    expect(h.mock.requests.filter((r) => r.endpoint === 'init')).toHaveLength(1);
    await session.close();
  });

  it('resumes an existing session without init', async () => {
    const sessionId = await h.newSession('returning');
    const session = h.client.session({ clientKey: 'returning', sessionId });
    const reply = await session.reply([userText('hi')]);
    expect(reply.sessionId).toBe(sessionId);
    expect(h.mock.requests.filter((r) => r.endpoint === 'init')).toHaveLength(1);
  });

  it('rejects bad turn input through the Observable, before starting a session', async () => {
    const session = h.client.session({ clientKey: 'shopper' });
    const turn = session.send('');
    await expect(lastValueFrom(turn)).rejects.toThrow(/text` must not be empty/);
    await expect(lastValueFrom(session.sendSync([]))).rejects.toThrow(/inputEvents` must hold at least one event/);
    expect(h.mock.requests).toHaveLength(0);
  });

  it('sends the checked turn as it is, in wire form', async () => {
    const session = h.client.session({ clientKey: 'shopper', agentId: 'agent-7' });
    await session.reply({ message_event: { role: 'user', content: { text_content: { text: 'hi' } } } } as never);
    expect(h.mock.requests.at(-1)?.body).toEqual({
      businessId: 'biz-1',
      clientKey: 'shopper',
      sessionId: session.sessionId,
      agentId: 'agent-7',
      inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: 'hi' } } } }],
    });
  });

  it('sendSync answers through invoke_sync', async () => {
    const session = h.client.session({ clientKey: 'shopper' });
    const events = await lastValueFrom(session.sendSync('talk to a human').pipe(toArray()));
    expect(events.map((e) => e.type)).toEqual(['messageEvent', 'agentHandoverEvent']);
    expect(h.mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke_sync']);
  });
});
