// A check both shared stores' specs run: clients on stores of their own, over one namespace, carry one
// customer's conversation as one Connectly session whose turns never overlap.
import { ConnectlyClient, type SessionStore } from 'connectly-agent-graph';
import { echoReply, MockConnectlyServer } from 'connectly-agent-graph-mock';

/** Four turns of one customer, alternating between clients on `stores`: one session, one init, no overlap. */
export async function expectOneConversation(stores: SessionStore[]): Promise<void> {
  const mock = new MockConnectlyServer({ agent: echoReply });
  await mock.start();
  try {
    const clients = stores.map(
      (sessionStore) => new ConnectlyClient({ apiKey: 'k', businessId: 'biz', baseUrl: mock.url, sessionStore }),
    );
    const replies = await Promise.all(
      ['one', 'two', 'three', 'four'].map((text, i) =>
        clients[i % clients.length]!.session({ clientKey: 'alice' }).reply(text),
      ),
    );
    expect(new Set(replies.map((reply) => reply.sessionId)).size).toBe(1);
    expect(mock.requests.filter((request) => request.endpoint === 'init')).toHaveLength(1);
    expect(mock.overlaps).toBe(0);
  } finally {
    await Promise.all(stores.map((store) => store.close?.()));
    await mock.stop();
  }
}
