// The history checker on hand-made histories: a clean one passes, and each kind of violation is counted.
import { type AgentTurn, type History, type WhatsAppSend, checkHistory, summary } from './history';

const said = (customer: string, ...texts: string[]): History['said'] =>
  texts.map((text, index) => ({ customer, text, at: index * 100 }));
const arrived = (...texts: string[]): History['arrivals'] =>
  texts.map((text, index) => ({ text, at: index * 100 + 5, answeredAt: index * 100 + 7 }));
const turn = (customer: string, replyId: string, at: number, heard: string[], handover = false): AgentTurn => ({
  customer,
  replyId,
  at,
  heard,
  handover,
});
const send = (customer: string, replyId: string | undefined, at: number, automated = true): WhatsAppSend => ({
  customer,
  replyId,
  at,
  automated,
});

/** c1 says three things; each is answered once, in order. */
function clean(): History {
  return {
    said: said('c1', 'c1 m1', 'c1 m2', 'c1 m3'),
    arrivals: arrived('c1 m1', 'c1 m2', 'c1 m3'),
    turns: [turn('c1', 't1', 10, ['c1 m1']), turn('c1', 't2', 110, ['c1 m2']), turn('c1', 't3', 210, ['c1 m3'])],
    sends: [send('c1', 't1', 20), send('c1', 't2', 130), send('c1', 't3', 260)],
    releases: [],
  };
}

describe('the fleet history checker', () => {
  it('passes a clean history, with the delivery → first send latency', () => {
    const verdict = checkHistory(clean());
    expect(verdict).toMatchObject({
      clean: true,
      messages: 3,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      sentWhileHeld: 0,
    });
    // 20-5, 130-105, 260-205 ms.
    expect(verdict.latencyMs).toEqual({ count: 3, p50: 25, p99: 55 });
    expect(summary(verdict)).toMatch(/^CLEAN: 3 messages; lost 0, duplicated 0/);
  });

  it('passes messages coalesced into one turn, in order', () => {
    const history = clean();
    history.turns = [turn('c1', 't1', 10, ['c1 m1']), turn('c1', 't2', 210, ['c1 m2', 'c1 m3'])];
    history.sends = [send('c1', 't1', 20), send('c1', 't2', 230)];
    expect(checkHistory(history)).toMatchObject({ clean: true, lost: 0, outOfOrder: 0 });
  });

  it('counts a message the agent never heard as lost', () => {
    const history = clean();
    history.turns.splice(1, 1);
    history.sends.splice(1, 1);
    const verdict = checkHistory(history);
    expect(verdict).toMatchObject({ clean: false, lost: 1, duplicated: 0 });
    expect(verdict.examples).toContain('lost: c1 m2 (0 turn(s) heard it, none answered)');
  });

  it('counts a message whose only turn sent nothing as lost', () => {
    const history = clean();
    history.sends.splice(2, 1);
    expect(checkHistory(history)).toMatchObject({ clean: false, lost: 1 });
  });

  it('counts a message answered by two turns as duplicated', () => {
    const history = clean();
    history.turns.push(turn('c1', 't2b', 120, ['c1 m2']));
    history.sends.push(send('c1', 't2b', 140));
    expect(checkHistory(history)).toMatchObject({
      clean: false,
      duplicated: 1,
      duplicatedTurns: 1,
      duplicatedSends: 0,
    });
  });

  it('counts a reply sent twice as duplicated', () => {
    const history = clean();
    history.sends.push(send('c1', 't3', 270));
    expect(checkHistory(history)).toMatchObject({
      clean: false,
      duplicated: 1,
      duplicatedTurns: 0,
      duplicatedSends: 1,
    });
  });

  it('does not count a turn heard again after a turn that sent nothing as a duplicate, but as retried', () => {
    const history = clean();
    history.turns.push(turn('c1', 't2-died', 105, ['c1 m2']));
    expect(checkHistory(history)).toMatchObject({ clean: true, duplicated: 0, retried: 1 });
  });

  it('counts a message heard before one that reached the fleet earlier as out of order', () => {
    const history = clean();
    history.turns = [
      turn('c1', 't1', 10, ['c1 m1']),
      turn('c1', 't3', 210, ['c1 m3']),
      turn('c1', 't2', 220, ['c1 m2']),
    ];
    history.sends = [send('c1', 't1', 20), send('c1', 't3', 215), send('c1', 't2', 230)];
    const verdict = checkHistory(history);
    expect(verdict).toMatchObject({ clean: false, outOfOrder: 1, lost: 0, duplicated: 0 });
    expect(verdict.examples).toContain('out of order: c1 m3 reached the agent before c1 m2');
  });

  it('judges order by arrival at the fleet, not by when the customer said it', () => {
    const history = clean();
    // Connectly delivered m3 before m2: hearing m3 first is in order.
    history.arrivals = [
      { text: 'c1 m1', at: 5, answeredAt: 7 },
      { text: 'c1 m3', at: 150, answeredAt: 152 },
      { text: 'c1 m2', at: 180, answeredAt: 182 },
    ];
    history.turns = [turn('c1', 't1', 10, ['c1 m1']), turn('c1', 't3', 210, ['c1 m3', 'c1 m2'])];
    history.sends = [send('c1', 't1', 20), send('c1', 't3', 230)];
    expect(checkHistory(history)).toMatchObject({ clean: true, outOfOrder: 0 });
  });

  it('gives no order to two deliveries in flight together', () => {
    const history = clean();
    // m2 went out at 105 and was answered at 240, after m3 went out (205): either may be heard first.
    history.arrivals = [
      { text: 'c1 m1', at: 5, answeredAt: 7 },
      { text: 'c1 m2', at: 105, answeredAt: 240 },
      { text: 'c1 m3', at: 205, answeredAt: 207 },
    ];
    history.turns = [
      turn('c1', 't1', 10, ['c1 m1']),
      turn('c1', 't3', 210, ['c1 m3']),
      turn('c1', 't2', 250, ['c1 m2']),
    ];
    history.sends = [send('c1', 't1', 20), send('c1', 't3', 215), send('c1', 't2', 260)];
    expect(checkHistory(history)).toMatchObject({ clean: true, outOfOrder: 0 });
  });

  describe('a handover', () => {
    /** c2 asks for a human (m2); a teammate writes; m3 is said while held; the desk releases; m4 is answered with m3. */
    function handedOver(): History {
      return {
        said: said('c2', 'c2 m1', 'c2 m2 human', 'c2 m3', 'c2 m4'),
        arrivals: arrived('c2 m1', 'c2 m2 human', 'c2 m3', 'c2 m4'),
        turns: [
          turn('c2', 'h1', 10, ['c2 m1']),
          turn('c2', 'h2', 110, ['c2 m2 human'], true),
          turn('c2', 'h4', 330, ['c2 m3', 'c2 m4']),
        ],
        sends: [send('c2', 'h1', 20), send('c2', 'h2', 120), send('c2', undefined, 150, false), send('c2', 'h4', 340)],
        releases: [{ customer: 'c2', at: 250 }],
      };
    }

    it('passes when nothing automated is sent between the handover and the release', () => {
      const verdict = checkHistory(handedOver());
      expect(verdict).toMatchObject({ clean: true, lost: 0, sentWhileHeld: 0 });
      // m3 was said while held: its wait for the desk is not latency.
      expect(verdict.latencyMs.count).toBe(3);
    });

    it('counts an automated send to the held customer', () => {
      const history = handedOver();
      history.turns.push(turn('c2', 'h3', 210, ['c2 m3']));
      history.sends.push(send('c2', 'h3', 220));
      const verdict = checkHistory(history);
      expect(verdict).toMatchObject({ clean: false, sentWhileHeld: 1 });
      expect(verdict.examples).toContain('sent while held: c2 got reply h3 while held');
    });

    it('counts a send after a handover that was never released as sent while held', () => {
      const history = handedOver();
      history.releases = [];
      expect(checkHistory(history)).toMatchObject({ clean: false, sentWhileHeld: 1 });
    });

    it('dates the hold from the handover reply that was sent, not from a handover turn that died first', () => {
      const history = handedOver();
      // The first handover turn (h2-died) heard m2 and stopped before it sent anything or held; it ran again.
      history.turns.push(turn('c2', 'h2-died', 105, ['c2 m2 human'], true));
      expect(checkHistory(history)).toMatchObject({ clean: true, sentWhileHeld: 0, lost: 0, retried: 1 });
    });

    it('does not count the teammate writing from the inbox', () => {
      const history = handedOver();
      history.sends.push(send('c2', undefined, 200, false));
      expect(checkHistory(history)).toMatchObject({ clean: true, sentWhileHeld: 0 });
    });
  });

  it('computes p50 and p99 by nearest rank', () => {
    const history: History = { said: [], arrivals: [], turns: [], sends: [], releases: [] };
    for (let i = 1; i <= 100; i += 1) {
      const text = `c${i} m1`;
      history.said.push({ customer: `c${i}`, text, at: 0 });
      history.arrivals.push({ text, at: 0, answeredAt: 0 });
      history.turns.push(turn(`c${i}`, `t${i}`, 1, [text]));
      history.sends.push(send(`c${i}`, `t${i}`, i * 10));
    }
    expect(checkHistory(history).latencyMs).toEqual({ count: 100, p50: 500, p99: 990 });
  });
});
