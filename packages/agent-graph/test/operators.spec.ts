// The RxJS operators for an invoke stream: ofType, handovers, replyText, toReply.
import { from, lastValueFrom, toArray } from 'rxjs';
import { type AgentEvent, handovers, isHandoverTriggered, ofType, replyText, toReply } from '../src/index.js';

const event = (type: string, payload: unknown, known = true): AgentEvent =>
  ({ type, [type]: payload, known, sessionId: 's' }) as AgentEvent;

const stream: AgentEvent[] = [
  event('messageEvent', { role: 'ASSISTANT', content: { textContent: { text: 'Hi' } } }),
  event('messageEvent', { role: 'USER', content: { textContent: { text: 'echoed' } } }),
  event('messageEvent', { content: { imageContent: { url: 'u' } } }),
  event('recommendationEvent', { products: [{ title: 'A' }] }),
  event('agentHandoverEvent', { triggerHandover: true, reason: 'asked' }),
  event('orderStatusHandoverEvent', {}),
  event('vipHandoverEvent', { triggerHandover: true }, false),
  event('messageEvent', { role: 'MESSAGE_EVENT_ROLE_UNSPECIFIED', content: { textContent: { text: 'Bye' } } }),
];

const run = <T>(operator: (source: ReturnType<typeof from<AgentEvent[]>>) => import('rxjs').Observable<T>) =>
  lastValueFrom(operator(from(stream)).pipe(toArray()));

describe('operators', () => {
  it('ofType keeps the named kinds, typed', async () => {
    const products = await run((s) => s.pipe(ofType('recommendationEvent')));
    expect(products.map((e) => e.recommendationEvent.products?.[0]?.title)).toEqual(['A']);
    expect(await run((s) => s.pipe(ofType('messageEvent', 'agentHandoverEvent')))).toHaveLength(5);
  });

  it('handovers keeps every handover kind, unknown ones included', async () => {
    const found = await run((s) => s.pipe(handovers()));
    expect(found.map((e) => e.type)).toEqual(['agentHandoverEvent', 'orderStatusHandoverEvent', 'vipHandoverEvent']);
    expect(found.map(isHandoverTriggered)).toEqual([true, false, true]);
  });

  it("replyText gives the agent's text messages only", async () => {
    expect(await run((s) => s.pipe(replyText()))).toEqual(['Hi', 'Bye']);
  });

  it('toReply gathers the stream once it completes', async () => {
    const [reply] = await run((s) => s.pipe(toReply()));
    expect(reply).toMatchObject({ text: 'Hi\n\nBye', handover: true, sessionId: 's', products: [{ title: 'A' }] });
    expect(reply?.handovers).toHaveLength(3);
  });
});
