// The history checker of the fleet suite: a pure function over what the mock saw (the customers' messages,
// when each first reached the fleet, the agent's turns, the WhatsApp sends) and the desk's releases. It
// says whether the conversation loop kept its guarantees: every customer message reached the agent exactly
// once and in order, every reply was sent exactly once, no automated message reached a held customer,
// nothing was lost; and how long a message took from its delivery to the first WhatsApp send answering it.

/** One message a customer said, in the order that customer said them. */
export interface SaidMessage {
  customer: string;
  /** Unique across the run (e.g. `c17 m3`): it is how the agent's turns and the sends are matched to it. */
  text: string;
  /** When the customer said it (ms). */
  at: number;
}

/**
 * One delivery of a message that reached a replica of the fleet: when the proxy passed it on, and when the
 * replica answered it. A message precedes another when one of its deliveries was answered before any
 * delivery of the other went out (real-time order); two deliveries in flight together have no order.
 */
export interface Arrival {
  text: string;
  at: number;
  answeredAt: number;
}

/** One turn of the agent, as the agent saw it. */
export interface AgentTurn {
  customer: string;
  /** Identifies the reply of this turn; every WhatsApp send of that reply carries it. */
  replyId: string;
  /** The customer texts the turn carried, in order. */
  heard: string[];
  at: number;
  /** The agent handed this conversation over to a human in this turn. */
  handover: boolean;
}

/** One message the business sent on WhatsApp. */
export interface WhatsAppSend {
  customer: string;
  at: number;
  /** Marked as sent by the automation (the bot); false for a person writing from the inbox. */
  automated: boolean;
  /** The turn whose reply this is, when it is one. */
  replyId?: string;
}

/** The desk gave a held conversation back to the agent. */
export interface Release {
  customer: string;
  at: number;
}

export interface History {
  said: SaidMessage[];
  arrivals: Arrival[];
  turns: AgentTurn[];
  sends: WhatsAppSend[];
  releases: Release[];
}

export interface Verdict {
  /** True when lost, duplicated, out of order and sent while held are all 0. */
  clean: boolean;
  messages: number;
  /** Messages no answered turn carried (the agent never heard them, or its reply never left). */
  lost: number;
  /** Messages carried by more than one answered turn, plus replies sent more than once. */
  duplicated: number;
  /** Of `duplicated`: messages the agent answered more than once. */
  duplicatedTurns: number;
  /** Of `duplicated`: extra sends of one turn's reply. */
  duplicatedSends: number;
  /** Messages the agent heard before one of the same customer that the fleet had taken before this one reached it. */
  outOfOrder: number;
  /** Automated sends to a customer between the agent's handover and the desk's release. */
  sentWhileHeld: number;
  /** Turns heard again after an earlier turn carrying them sent nothing (e.g. its process died): not duplicates. */
  retried: number;
  /** Delivery (first arrival at the fleet) → first WhatsApp send of the answering turn, for messages not said while held. */
  latencyMs: { count: number; p50: number | undefined; p99: number | undefined };
  /** Up to 10 examples of each violation, for the report. */
  examples: string[];
}

interface Hold {
  from: number;
  until: number;
  handoverReplyId: string;
}

/** Checks one run's history; see {@link Verdict} for what each count means. */
export function checkHistory(history: History): Verdict {
  const firstSend = new Map<string, number>();
  const sendCount = new Map<string, number>();
  for (const send of history.sends) {
    if (!send.automated || send.replyId === undefined) continue;
    sendCount.set(send.replyId, (sendCount.get(send.replyId) ?? 0) + 1);
    firstSend.set(send.replyId, Math.min(firstSend.get(send.replyId) ?? Infinity, send.at));
  }
  const turns = [...history.turns].sort((a, b) => a.at - b.at);
  const holds = holdsOf(turns, history, firstSend);
  const answered = (turn: AgentTurn): boolean => sendCount.has(turn.replyId) || heldDuring(holds, turn);
  const arrivedAt = new Map<string, number>();
  const acceptedAt = new Map<string, number>();
  for (const arrival of history.arrivals) {
    arrivedAt.set(arrival.text, Math.min(arrivedAt.get(arrival.text) ?? Infinity, arrival.at));
    acceptedAt.set(arrival.text, Math.min(acceptedAt.get(arrival.text) ?? Infinity, arrival.answeredAt));
  }

  const examples: string[] = [];
  const note = (kind: string, text: string): void => {
    if (examples.filter((line) => line.startsWith(kind)).length < 10) examples.push(`${kind}: ${text}`);
  };

  let lost = 0;
  let duplicatedTurns = 0;
  let retried = 0;
  const latencies: number[] = [];
  // Where each message was first heard in an answered turn: (turn time, index in the turn).
  const heardAt = new Map<string, [number, number]>();
  for (const message of history.said) {
    const carrying = turns.filter((turn) => turn.customer === message.customer && turn.heard.includes(message.text));
    const answering = carrying.filter(answered);
    const first = answering[0];
    if (!first) {
      lost += 1;
      note('lost', `${message.text} (${carrying.length} turn(s) heard it, none answered)`);
      continue;
    }
    heardAt.set(message.text, [first.at, first.heard.indexOf(message.text)]);
    if (answering.length > 1) {
      duplicatedTurns += 1;
      note('duplicated', `${message.text} answered by ${answering.length} turns`);
    }
    if (carrying.indexOf(first) > 0) retried += 1;
    const sentAt = firstSend.get(first.replyId);
    const from = arrivedAt.get(message.text) ?? message.at;
    const hold = holds.get(message.customer);
    const saidWhileHeld = hold !== undefined && message.at > hold.from && message.at < hold.until;
    if (sentAt !== undefined && !saidWhileHeld) latencies.push(Math.max(0, sentAt - from));
  }

  let duplicatedSends = 0;
  for (const [replyId, count] of sendCount) {
    if (count <= 1) continue;
    duplicatedSends += count - 1;
    note('duplicated', `reply ${replyId} sent ${count} times`);
  }

  let outOfOrder = 0;
  for (const customer of new Set(history.said.map((message) => message.customer))) {
    const mine = history.said.filter((message) => message.customer === customer && heardAt.has(message.text));
    for (const message of mine) {
      const [at, index] = heardAt.get(message.text) as [number, number];
      const overtaken = mine.find((other) => {
        const [otherAt, otherIndex] = heardAt.get(other.text) as [number, number];
        const heardLater = otherAt > at || (otherAt === at && otherIndex > index);
        return heardLater && (acceptedAt.get(other.text) ?? Infinity) < (arrivedAt.get(message.text) ?? Infinity);
      });
      if (overtaken) {
        outOfOrder += 1;
        note('out of order', `${message.text} reached the agent before ${overtaken.text}`);
      }
    }
  }

  let sentWhileHeld = 0;
  for (const send of history.sends) {
    const hold = holds.get(send.customer);
    if (!send.automated || !hold || send.replyId === hold.handoverReplyId) continue;
    if (send.at > hold.from && send.at < hold.until) {
      sentWhileHeld += 1;
      note('sent while held', `${send.customer} got reply ${send.replyId ?? '(none)'} while held`);
    }
  }

  const duplicated = duplicatedTurns + duplicatedSends;
  return {
    clean: lost === 0 && duplicated === 0 && outOfOrder === 0 && sentWhileHeld === 0,
    messages: history.said.length,
    lost,
    duplicated,
    duplicatedTurns,
    duplicatedSends,
    outOfOrder,
    sentWhileHeld,
    retried,
    latencyMs: { count: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    examples,
  };
}

/** One line of counts for a log. */
export function summary(verdict: Verdict): string {
  const { p50, p99, count } = verdict.latencyMs;
  const ms = (value: number | undefined): string => (value === undefined ? '-' : `${Math.round(value)} ms`);
  return (
    `${verdict.clean ? 'CLEAN' : 'VIOLATED'}: ${verdict.messages} messages; lost ${verdict.lost}, ` +
    `duplicated ${verdict.duplicated} (${verdict.duplicatedTurns} answered twice, ${verdict.duplicatedSends} extra sends), ` +
    `out of order ${verdict.outOfOrder}, sent while held ${verdict.sentWhileHeld}, retried ${verdict.retried}; ` +
    `delivery → first send p50 ${ms(p50)}, p99 ${ms(p99)} (${count} messages)`
  );
}

// A customer is held from the first send of the handover reply that went out (the agent said it hands over)
// until the desk's first release after it. A handover turn that sent nothing (its process died, and the turn
// ran again) held nothing: the hold dates from the handover turn whose reply was sent, or, when none was,
// from the first handover turn itself.
function holdsOf(turns: AgentTurn[], history: History, firstSend: Map<string, number>): Map<string, Hold> {
  const holds = new Map<string, Hold>();
  const handovers = turns.filter((turn) => turn.handover);
  for (const customer of new Set(handovers.map((turn) => turn.customer))) {
    const theirs = handovers.filter((turn) => turn.customer === customer);
    const turn = theirs.find((one) => firstSend.has(one.replyId)) ?? theirs[0]!;
    const from = firstSend.get(turn.replyId) ?? turn.at;
    const release = history.releases
      .filter((r) => r.customer === customer && r.at > from)
      .sort((a, b) => a.at - b.at)[0];
    holds.set(customer, { from, until: release?.at ?? Infinity, handoverReplyId: turn.replyId });
  }
  return holds;
}

// A turn that ran while its customer was held sends nothing, rightly: it counts as answered (what it heard
// reached the agent), and any send of it counts as sent while held.
function heldDuring(holds: Map<string, Hold>, turn: AgentTurn): boolean {
  const hold = holds.get(turn.customer);
  return hold !== undefined && turn.replyId !== hold.handoverReplyId && turn.at > hold.from && turn.at < hold.until;
}

// Nearest rank: the smallest value with at least p % of the values at or below it.
function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
