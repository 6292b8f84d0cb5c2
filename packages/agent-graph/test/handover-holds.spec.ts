// Handover holds and delivery de-duplication: who hears a held conversation, what the agent hears on
// resume (every event since its last call, in order), and memory that stays bounded and expires.
import {
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlySessionStoreError,
  ConnectlyTimeoutError,
  ConnectlyValidationError,
  DeliveryDeduper,
  HUMAN_REPLY_REASON,
  HandoverHolds,
  HandoverHoldsFullError,
  assistantText,
  turnNotProcessed,
  userText,
} from '../src/index.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('HandoverHolds', () => {
  it('holds a conversation on handover and keeps the customer’s messages for the agent until released', () => {
    const holds = new HandoverHolds();
    expect(holds.isHeld('+155501')).toBe(false);
    expect(holds.recordCustomerMessage('+155501', [userText('not held yet')])).toBe(false);
    holds.hold('+155501', 'The customer asked to talk to a human.');
    expect(holds.isHeld('+155501')).toBe(true);
    expect(holds.isHeld('+155502')).toBe(false);
    expect(holds.recordCustomerMessage('+155501', [userText('Hello?')])).toBe(true);
    expect(holds.get('+155501')).toEqual({
      held: true,
      reason: 'The customer asked to talk to a human.',
      heldSince: expect.any(Number),
      pending: [userText('Hello?')],
      droppedEvents: 0,
    });
  });

  it('a person’s reply holds the conversation too, and reaches the agent as its own message, in order', () => {
    const holds = new HandoverHolds();
    holds.recordHumanReply('c1', 'Hi Ana, Sam here.');
    expect(holds.isHeld('c1')).toBe(true);
    expect(holds.get('c1')?.reason).toBe(HUMAN_REPLY_REASON);
    holds.recordCustomerMessage('c1', [userText('Great, thanks!')]);
    holds.recordHumanReply('c1', 'Gift wrap is free.');
    // While held, nothing is handed to a turn.
    expect(holds.takePending('c1')).toEqual([]);
    expect(holds.release('c1')).toEqual([
      assistantText('Hi Ana, Sam here.'),
      userText('Great, thanks!'),
      assistantText('Gift wrap is free.'),
    ]);
    expect(holds.isHeld('c1')).toBe(false);
    expect(holds.release('c1')).toEqual([]);
    expect(holds.size).toBe(0);
  });

  it('an agent’s handover reason replaces the person’s, and a second handover keeps the first reason', () => {
    const holds = new HandoverHolds();
    holds.recordHumanReply('c1', 'Hello');
    holds.hold('c1', 'needs a refund');
    holds.hold('c1', 'another reason');
    expect(holds.get('c1')?.reason).toBe('needs a refund');
  });

  it('resume gives the conversation back and keeps its events for the next turn, which takes them once', () => {
    const holds = new HandoverHolds();
    expect(holds.resume('c1')).toEqual({ released: false, pendingEvents: 0 });
    holds.recordHumanReply('c1', 'Sam here');
    expect(holds.resume('c1')).toEqual({ released: true, pendingEvents: 1 });
    expect(holds.isHeld('c1')).toBe(false);
    expect(holds.recordCustomerMessage('c1', [userText('to the agent')])).toBe(false);
    expect(holds.takePending('c1')).toEqual([assistantText('Sam here')]);
    expect(holds.takePending('c1')).toEqual([]);
  });

  it('puts back what a failed turn took, before what was recorded since, for the next turn', () => {
    const holds = new HandoverHolds();
    holds.recordHumanReply('c1', 'first');
    const taken = holds.release('c1');
    holds.recordHumanReply('c1', 'second');
    holds.restore('c1', taken);
    expect(holds.get('c1')?.pending).toEqual([assistantText('first'), assistantText('second')]);
    holds.restore('c2', [userText('lost turn')]);
    expect(holds.takePending('c2')).toEqual([userText('lost turn')]);
  });

  it('turnNotProcessed is true only for failures that prove Connectly did not take the input', () => {
    const api = (status: number) => new ConnectlyApiError({ endpoint: 'invoke', status });
    const connection = (phase: 'connect' | 'response') => new ConnectlyConnectionError({ phase, message: 'x' });
    const store = (sent: boolean) => new ConnectlySessionStoreError({ operation: 'lock', sent, message: 'x' });
    expect(
      [new ConnectlyValidationError('inputEvents', 'x'), api(401), api(503), connection('connect'), store(false)].map(
        turnNotProcessed,
      ),
    ).toEqual([true, true, true, true, true]);
    expect(
      [
        api(200),
        api(500),
        api(502),
        api(504),
        connection('response'),
        store(true),
        new ConnectlyTimeoutError('invoke', 'headers', 1000),
        new Error('x'),
      ].map(turnNotProcessed),
    ).toEqual([false, false, false, false, false, false, false, false]);
  });

  it('a person’s empty message (a picture) still holds, with nothing queued', () => {
    const holds = new HandoverHolds();
    holds.recordHumanReply('c1', '  ');
    expect(holds.get('c1')).toMatchObject({ held: true, pending: [] });
  });

  it('expires a conversation left alone for ttlMs, and any activity restarts that time', () => {
    const { now, advance } = clock();
    const holds = new HandoverHolds({ ttlMs: 1000, now });
    holds.hold('c1');
    advance(900);
    holds.recordCustomerMessage('c1', [userText('still there?')]);
    advance(900);
    expect(holds.isHeld('c1')).toBe(true);
    advance(100);
    expect(holds.isHeld('c1')).toBe(false);
    expect(holds.get('c1')).toBeUndefined();
    expect(holds.size).toBe(0);
  });

  it('remembers at most maxConversations, forgetting the released one idle longest', () => {
    const holds = new HandoverHolds({ maxConversations: 2 });
    holds.hold('a');
    holds.restore('b', [userText('b waits for the agent')]);
    holds.recordCustomerMessage('a', [userText('a is active')]);
    holds.hold('c');
    expect([holds.isHeld('a'), holds.get('b'), holds.isHeld('c')]).toEqual([true, undefined, true]);
    expect(holds.size).toBe(2);
  });

  it('never hands a held conversation back to the bot to make room: a hold past maxConversations is refused', () => {
    const holds = new HandoverHolds({ maxConversations: 2 });
    holds.hold('a');
    holds.hold('b');
    const third = (): void => holds.hold('c');
    expect(third).toThrow(HandoverHoldsFullError);
    expect(third).toThrow(/All 2 conversations .* held by a person: release some \(or raise `maxConversations`\)/);
    expect(() => holds.recordHumanReply('c', 'Hi, Sam here')).toThrow(HandoverHoldsFullError);
    expect([holds.isHeld('a'), holds.isHeld('b'), holds.isHeld('c')]).toEqual([true, true, false]);
    // A release makes room again.
    holds.release('a');
    holds.hold('c');
    expect([holds.isHeld('b'), holds.isHeld('c')]).toEqual([true, true]);
  });

  it('makes room from conversations whose hold expired before refusing one', () => {
    const { now, advance } = clock();
    const holds = new HandoverHolds({ maxConversations: 1, ttlMs: 1000, now });
    holds.hold('a');
    advance(1000);
    holds.hold('b');
    expect([holds.isHeld('a'), holds.isHeld('b')]).toEqual([false, true]);
  });

  it('keeps at most maxPendingEvents per conversation, and counts the oldest it let go', () => {
    const holds = new HandoverHolds({ maxPendingEvents: 2 });
    holds.hold('c1');
    for (const text of ['one', 'two', 'three']) holds.recordCustomerMessage('c1', [userText(text)]);
    expect(holds.get('c1')).toMatchObject({ pending: [userText('two'), userText('three')], droppedEvents: 1 });
  });

  it('refuses an empty key and bad limits with errors that name the fix', () => {
    const holds = new HandoverHolds();
    expect(() => holds.hold('')).toThrow(ConnectlyValidationError);
    expect(() => holds.isHeld(undefined as unknown as string)).toThrow(/clientKey/);
    expect(() => new HandoverHolds({ ttlMs: 0 })).toThrow(/`ttlMs` must be a positive number/);
    expect(() => new HandoverHolds({ maxConversations: Number.NaN })).toThrow(/maxConversations/);
  });

  it('hands out copies: changing what get() returned changes nothing held', () => {
    const holds = new HandoverHolds();
    holds.recordHumanReply('c1', 'Hi');
    holds.get('c1')?.pending.push(userText('injected'));
    expect(holds.release('c1')).toEqual([assistantText('Hi')]);
  });
});

describe('DeliveryDeduper', () => {
  it('takes a delivery once it is claimed and done, and refuses its repeats', () => {
    const deduper = new DeliveryDeduper();
    expect(deduper.claim('sig-1')).toBe(true);
    deduper.done('sig-1');
    expect(deduper.claim('sig-1')).toBe(false);
    expect(deduper.claim('sig-2')).toBe(true);
    expect(deduper.size).toBe(2);
  });

  it('refuses a repeat that arrives while the first is being handled', () => {
    const deduper = new DeliveryDeduper();
    expect(deduper.claim('sig-1')).toBe(true);
    expect(deduper.claim('sig-1')).toBe(false);
  });

  it('takes the redelivery of a delivery whose handling failed', () => {
    const deduper = new DeliveryDeduper();
    expect(deduper.claim('sig-1')).toBe(true);
    deduper.release('sig-1');
    expect(deduper.claim('sig-1')).toBe(true);
    deduper.done('sig-1');
    expect(deduper.claim('sig-1')).toBe(false);
  });

  it('takes a redelivery again when a claim was neither done nor released within leaseMs', () => {
    const { now, advance } = clock();
    const deduper = new DeliveryDeduper({ leaseMs: 100, now });
    expect(deduper.claim('sig-1')).toBe(true);
    advance(99);
    expect(deduper.claim('sig-1')).toBe(false);
    advance(1);
    expect(deduper.claim('sig-1')).toBe(true);
    deduper.done('sig-1');
    advance(1000);
    expect(deduper.claim('sig-1')).toBe(false);
  });

  it('forgets a delivery after ttlMs, so memory does not grow with time', () => {
    const { now, advance } = clock();
    const deduper = new DeliveryDeduper({ ttlMs: 1000, now });
    deduper.claim('sig-1');
    deduper.done('sig-1');
    advance(999);
    expect(deduper.claim('sig-1')).toBe(false);
    advance(1);
    expect(deduper.size).toBe(0);
    expect(deduper.claim('sig-1')).toBe(true);
  });

  it('remembers at most maxEntries, forgetting the oldest', () => {
    const deduper = new DeliveryDeduper({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) {
      deduper.claim(key);
      deduper.done(key);
    }
    expect(deduper.size).toBe(2);
    expect(deduper.claim('c')).toBe(false);
    expect(deduper.claim('a')).toBe(true);
  });

  it('refuses an empty key and bad limits', () => {
    expect(() => new DeliveryDeduper().claim('')).toThrow(/x-connectly-hmac-sha256/);
    expect(() => new DeliveryDeduper({ maxEntries: -1 })).toThrow(ConnectlyValidationError);
    expect(() => new DeliveryDeduper({ leaseMs: 0 })).toThrow(/leaseMs/);
  });
});
