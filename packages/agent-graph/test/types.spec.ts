// The rules the types state: `npm run typecheck` checks the @ts-expect-error lines, jest the runtime side.
import { of } from 'rxjs';
import {
  ConnectlyClient,
  ConnectlyValidationError,
  handovers,
  userText,
  type AgentEvent,
  type InvokeRequest,
} from '../src/index.js';
import { collect, collectUntilError } from './helpers.js';

const client = new ConnectlyClient({ apiKey: 'k', businessId: 'b', baseUrl: 'http://127.0.0.1:9' });

describe('InvokeRequest', () => {
  it('takes text or inputEvents', () => {
    const byText: InvokeRequest = { clientKey: 'c', sessionId: 's', text: 'Hi' };
    const byEvents: InvokeRequest = { clientKey: 'c', sessionId: 's', inputEvents: [userText('Hi')] };
    expect([byText, byEvents]).toHaveLength(2);
  });

  it('rejects both, or neither, at the type level and at run time', async () => {
    // @ts-expect-error text and inputEvents together
    const both: InvokeRequest = { clientKey: 'c', sessionId: 's', text: 'Hi', inputEvents: [userText('Hi')] };
    // @ts-expect-error neither text nor inputEvents
    const neither: InvokeRequest = { clientKey: 'c', sessionId: 's' };
    for (const request of [both, neither]) {
      const { error } = await collectUntilError(client.invoke(request));
      expect(error).toBeInstanceOf(ConnectlyValidationError);
    }
  });
});

describe('handovers()', () => {
  it('emits handover events typed as such, known kinds and future ones alike', async () => {
    const events: AgentEvent[] = [
      { type: 'messageEvent', known: true, sessionId: 's', messageEvent: { role: 'ASSISTANT' } },
      { type: 'agentHandoverEvent', known: true, sessionId: 's', agentHandoverEvent: { triggerHandover: true } },
      { type: 'futureHandoverEvent', known: false, sessionId: 's', futureHandoverEvent: {} },
      { type: 'futureEvent', known: false, sessionId: 's', futureEvent: {} },
    ];
    const kept = await collect(of(...events).pipe(handovers()));
    const kinds: `${string}HandoverEvent`[] = kept.map((event) => event.type);
    expect(kinds).toEqual(['agentHandoverEvent', 'futureHandoverEvent']);
  });
});
