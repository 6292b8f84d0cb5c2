const { start } = require('./packages/mock-server/dist');
const { ConnectlyClient } = require('./packages/agent-graph/dist');
const { firstValueFrom } = require('rxjs');
(async () => {
  const mock = await start({ apiKey: 'k' });
  const c = new ConnectlyClient({ apiKey: 'k', businessId: 'b', baseUrl: mock.url });
  const { sessionId } = await firstValueFrom(c.init({ clientKey: 'c' }));
  mock.inject({ events: [{messageEvent:{}},{messageEvent:{}}], resetAfterEvents: 1 });
  const t0 = Date.now();
  c.invoke({ clientKey: 'c', sessionId, text: 'hi' }).subscribe({ next: (e) => console.log(Date.now() - t0, e.type), error: (e) => console.log('err', Date.now() - t0, e.message), complete: () => console.log('done') });
  setTimeout(() => { console.log('streams', mock.streams, mock.openResponses); mock.stop(); }, 2000);
})();
