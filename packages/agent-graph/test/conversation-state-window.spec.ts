// ConversationState's 24-hour window: noted from a delivery's own timestamp, or from a message's time
// known without its delivery (an n8n node after the Trigger).
import { ConversationState, MemoryConversationStore } from '../src/index.js';

const HOUR = 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 7, 12);

function state(): ConversationState {
  const now = () => NOW;
  return new ConversationState({ store: new MemoryConversationStore({ now }), businessId: 'biz', now });
}

describe('ConversationState: the 24-hour window', () => {
  it('is unknown until a message is noted, then runs from the time given', async () => {
    const conversation = state();
    expect(await conversation.window('+15550001')).toBe('unknown');
    await conversation.noteInboundAt('+15550001', NOW - 25 * HOUR);
    expect(await conversation.window('+15550001')).toBe('outside');
    await conversation.noteInboundAt('+15550001', NOW - 23 * HOUR);
    expect(await conversation.window('+15550001')).toBe('inside');
  });

  it('never moves back: an older message noted later leaves the window open', async () => {
    const conversation = state();
    await conversation.noteInboundAt('+15550002', NOW - HOUR);
    expect(await conversation.noteInboundAt('+15550002', NOW - 30 * HOUR)).toBe(NOW - HOUR);
    expect(await conversation.window('+15550002')).toBe('inside');
  });

  it('takes a time that is not one as now, and a delivery by its Unix-seconds timestamp', async () => {
    const conversation = state();
    expect(await conversation.noteInboundAt('+15550003', Number.NaN)).toBe(NOW);
    const old = String((NOW - 26 * HOUR) / 1000);
    await conversation.noteInbound({ kind: 'message', clientKey: '+15550004', timestamp: old } as Parameters<
      ConversationState['noteInbound']
    >[0]);
    expect(await conversation.window('+15550004')).toBe('outside');
  });
});
