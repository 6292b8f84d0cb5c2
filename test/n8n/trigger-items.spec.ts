// The Trigger's item and what the Connectly node reads back from it (triggerMarks): one pair, so that
// the node finds every mark the Trigger puts on an item, and nothing on an item that is not one.
import { fingerprint, readWebhook } from 'connectly-agent-graph';
import { itemOf, triggerMarks } from '../../nodes/ConnectlyTrigger/items';

const SECONDS = '1796644800'; // 2026-12-07T12:00:00Z
const sender = { id: '+15551230001', channelType: 'whatsapp', name: 'Ana' };
const business = { id: '+15550100000', channelType: 'whatsapp' };

describe('triggerMarks reads back what itemOf put on a Trigger item', () => {
  it("a customer's message: its delivery and the time that starts the 24-hour window", () => {
    const event = readWebhook({ timestamp: SECONDS, sender, recipient: business, message: { text: 'Hi' } });
    expect(triggerMarks(itemOf(event, false, 'signature-1').json)).toEqual({
      deliveryId: 'signature-1',
      inbound: { clientKey: '+15551230001', at: Number(SECONDS) * 1000 },
    });
  });

  it('a button reply starts the window too', () => {
    const reply = { timestamp: SECONDS, sender, recipient: business, buttonResponse: { text: 'Yes', payload: 'yes' } };
    expect(triggerMarks(itemOf(readWebhook(reply), false, 'signature-2').json).inbound).toEqual({
      clientKey: '+15551230001',
      at: Number(SECONDS) * 1000,
    });
  });

  it("a person's echo: its delivery and its fingerprint, and no window (the business wrote, not the customer)", () => {
    const message = { text: 'Sam here', isEcho: true };
    const event = readWebhook({ timestamp: SECONDS, sender: business, recipient: sender, message });
    expect(triggerMarks(itemOf(event, false, 'signature-3').json)).toEqual({
      deliveryId: 'signature-3',
      fingerprint: fingerprint(message),
    });
  });

  it('a message without a timestamp, or an item not from the Trigger, gives no marks it does not carry', () => {
    const event = readWebhook({ sender, recipient: business, message: { text: 'Hi' } });
    expect(triggerMarks(itemOf(event, false, 'signature-4').json)).toEqual({ deliveryId: 'signature-4' });
    expect(triggerMarks({ index: 0 })).toEqual({});
    expect(triggerMarks(undefined)).toEqual({});
    expect(triggerMarks({ kind: 'message', clientKey: '+1555', timestamp: 'yesterday', deliveryId: '' })).toEqual({});
  });
});
