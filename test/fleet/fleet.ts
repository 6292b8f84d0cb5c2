// One run of the fleet: a redis-server, the mock Connectly (its agent tells each turn's reply apart, its
// deliveries in chaos mode when asked), replicas of the WhatsApp example behind a round-robin proxy, and
// the script: customers writing, some asking for a human, a teammate answering from the inbox, the desk
// releasing, a replica killed mid-turn and restarted, Redis restarted. Returns the history for the checker.

import { resolve } from 'node:path';
import { SENT_BY_AUTOMATION, SENT_BY_FIELD } from 'connectly-agent-graph';
import {
  type ChaosOptions,
  MockConnectlyServer,
  type SentMessage,
  type WebhookDelivery,
} from 'connectly-agent-graph-mock';
import { seededRandom } from '../../packages/mock-server/src/plumbing/seeded';
import { type AgentTurn, type History, type SaidMessage, type Verdict, type WhatsAppSend, summary } from './history';
import { FleetRedis, Forwarder, Replica, freePort, seen, sleep, until } from './processes';

const BUSINESS = 'fleet-business';
const API_KEY = 'fleet-api-key';
const SECRET = 'fleet-webhook-secret';
const DESK_TOKEN = 'fleet-desk-token';
const MAIN = resolve(__dirname, '../../examples/nest-whatsapp/dist/main.js');

export interface Scenario {
  name: string;
  replicas: number;
  customers: number;
  messagesPerCustomer: number;
  /** How many customers ask for a human (their third message), get a teammate's reply and are released. */
  handovers: number;
  /** The mock's chaos mode; undefined for none. */
  chaos?: ChaosOptions;
  /** Kill one replica with SIGKILL in a turn, once this many messages were said, and restart it. */
  killAfterMessages?: number;
  /** Restart Redis once this many messages were said. */
  restartRedisAfterMessages?: number;
  /** Seeds the script's pauses and the chaos mode. */
  seed: number;
}

export interface FleetRun {
  history: History;
  durationMs: number;
  /** What happened, for the report: faults applied, deliveries and their attempts. */
  events: string[];
  /** Replies a replica finished for a turn that had stopped elsewhere (its replica died, or lost the turn lock). */
  takeovers: number;
}

/** The seed of a run: `FLEET_SEED`, or one drawn now (the report prints it, so a run can be replayed). */
export function fleetSeed(): number {
  return Number(process.env['FLEET_SEED'] ?? Date.now() % 2 ** 31);
}

/**
 * The two scenarios, by `FLEET_SCENARIO` (both when unset). `control`: one replica, no chaos, no kill.
 * `fleet`: three replicas, chaos deliveries, a replica killed mid-turn and restarted, Redis restarted.
 */
export function fleetScenarios(seed: number, only = process.env['FLEET_SCENARIO']): Scenario[] {
  if (only !== undefined && only !== 'control' && only !== 'fleet') {
    throw new Error(`FLEET_SCENARIO must be control or fleet, got "${only}"`);
  }
  const scenarios: Scenario[] = [
    { name: 'control', replicas: 1, customers: 50, messagesPerCustomer: 10, handovers: 10, seed },
    {
      name: 'fleet',
      replicas: 3,
      customers: 50,
      messagesPerCustomer: 10,
      handovers: 10,
      // A third of deliveries sent twice, each held up to 150 ms, a tenth of the 200 answers lost.
      chaos: { duplicateRate: 0.3, maxDelayMs: 150, lostAnswerRate: 0.1 },
      killAfterMessages: 150,
      restartRedisAfterMessages: 300,
      seed,
    },
  ];
  return scenarios.filter((scenario) => only === undefined || scenario.name === only);
}

/** A run's report: its seed and time, what happened, the checker's counts and up to 10 examples of each violation. */
export function fleetReport(scenario: Scenario, run: FleetRun, verdict: Verdict): string {
  return (
    `\n[fleet ${scenario.name}] seed ${scenario.seed}, ${(run.durationMs / 1000).toFixed(1)} s\n` +
    `${run.events.map((line) => `  ${line}`).join('\n')}\n  ${summary(verdict)}\n` +
    `${verdict.examples.map((line) => `    ${line}`).join('\n')}\n`
  );
}

/** The message of the customer `c` (1-based) number `m` (1-based); the handover ask contains "human". */
export function textOf(customer: number, message: number, asksForHuman: boolean): string {
  return `c${customer} m${message}${asksForHuman ? ' human please' : ''}`;
}

const phoneOf = (customer: number): string => `+1555${String(1_000_000 + customer)}`;

// The customer's words in one turn's input events (text messages; button taps by their title).
function heardIn(inputEvents: unknown[]): string[] {
  return inputEvents.flatMap((event) => {
    const content = (event as { messageEvent?: { role?: string; content?: { textContent?: { text?: unknown } } } })
      .messageEvent;
    const text = content?.content?.textContent?.text;
    return content?.role !== 'ASSISTANT' && typeof text === 'string' ? [text] : [];
  });
}

/** Runs one scenario from start to end; every process and server it started is stopped, also on failure. */
export async function runFleet(scenario: Scenario): Promise<FleetRun> {
  const started = Date.now();
  const events: string[] = [];
  const log = (line: string): void => {
    events.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}`);
  };
  const turns: AgentTurn[] = [];
  const said: SaidMessage[] = [];
  const arrivals: History['arrivals'] = [];
  const releases: History['releases'] = [];
  const random = seededRandom(scenario.seed);
  const cleanup: Array<() => Promise<void>> = [];
  // Restarts under way (a replica, Redis): finished before anything is stopped, also on failure.
  const background: Array<Promise<void>> = [];
  const inBackground = (work: Promise<void>): void => {
    work.catch(() => undefined); // awaited (and its failure reported) below
    background.push(work);
  };

  const mock = new MockConnectlyServer({
    businessId: BUSINESS,
    apiKey: API_KEY,
    pacingMs: 20, // a turn's reply streams for a while, so that a kill can land in one
    // The agent says back what it heard, tagged with its turn, so every send names the turn it answers; like
    // the demo agent, it hands over when the customer asks for a human.
    agent: (inputEvents, session) => {
      const heard = heardIn(inputEvents);
      const replyId = `r${session.sessionId.slice(0, 8)}.${session.turns}`;
      const handover = heard.some((text) => text.includes('human'));
      turns.push({ customer: session.clientKey, replyId, heard, at: Date.now(), handover });
      const reply: unknown[] = [
        {
          messageEvent: {
            role: 'ASSISTANT',
            content: { textContent: { text: `heard: ${heard.join(' | ')} [${replyId}]` } },
          },
        },
      ];
      if (handover)
        reply.push({ agentHandoverEvent: { triggerHandover: true, reason: 'The customer asked for a human.' } });
      return reply;
    },
    messaging: {
      webhookSecret: SECRET,
      timeScale: 0.1, // redeliveries 100, 200, 400, 800 ms apart
      replaceOnCreate: true,
      rateLimitPerSecond: 10_000, // the run measures the loop, not WhatsApp's rate limit
      ...(scenario.chaos ? { chaos: { ...scenario.chaos, seed: scenario.seed } } : {}),
    },
  });
  mock.messaging.setMaxListeners(scenario.customers + 10); // one waiting customer script each, at most
  try {
    await mock.start();
    cleanup.push(() => mock.stop());
    const redis = await FleetRedis.start();
    cleanup.push(() => redis.stop());

    // Each replica reaches the mock through its own tap, so a turn in flight is known by its replica.
    let killArmed = false;
    const replicas: Replica[] = [];
    const mockPort = Number(new URL(mock.url).port);
    const ports = await Promise.all(Array.from({ length: scenario.replicas }, () => freePort()));
    const proxy = await new Forwarder(ports, (request) => {
      // A delivery reached the fleet when it went out to a replica that took it (not one that was down):
      // the order in which they did is the order the loop must keep.
      const reached = request.status !== undefined && request.status !== 502 && request.status !== 504;
      if (!reached || !request.path.startsWith('/connectly/webhook')) return;
      try {
        const payload = JSON.parse(request.body) as { message?: { text?: unknown; isEcho?: unknown } };
        const text = payload.message?.text;
        if (typeof text === 'string' && payload.message?.isEcho !== true) {
          arrivals.push({ text, at: request.at, answeredAt: request.answeredAt ?? request.at });
        }
      } catch {
        // not a delivery the checker reads
      }
    }).start();
    cleanup.push(() => proxy.stop());
    for (const [index, port] of ports.entries()) {
      const victim = index === 1 % scenario.replicas;
      const tap = await new Forwarder([mockPort], (request) => {
        if (!killArmed || !victim || request.status !== undefined || !/\/invoke$/.test(request.path)) return;
        killArmed = false;
        const replica = replicas[index] as Replica;
        replica.kill();
        log(`killed replica ${replica.name} (SIGKILL) as it started a turn`);
        inBackground(
          sleep(300)
            .then(() => replica.start())
            .then(() => log(`replica ${replica.name} restarted`)),
        );
      }).start();
      cleanup.push(() => tap.stop());
      const replica = new Replica(`r${index + 1}`, port, MAIN, {
        PATH: process.env['PATH'] ?? '',
        CONNECTLY_API_KEY: API_KEY,
        CONNECTLY_BUSINESS_ID: BUSINESS,
        CONNECTLY_BASE_URL: tap.url,
        CONNECTLY_WEBHOOK_SECRET: SECRET,
        PUBLIC_URL: proxy.url,
        DESK_TOKEN,
        REDIS_URL: redis.url,
      });
      replicas.push(replica);
      cleanup.push(() => replica.stop());
    }
    // One after the other: each registers (or updates) the webhook at start.
    for (const replica of replicas) await replica.start();
    await until(() => mock.messaging.registration(BUSINESS, 'messages') !== undefined, 10_000, 'the webhook');
    log(`${replicas.length} replica(s) up behind ${proxy.url}; redis ${redis.url}; seed ${scenario.seed}`);

    // [INFERRED] A person writing from Connectly's inbox reaches the webhook as an echo without the
    // automation mark; the mock makes that same echo for a Message API send without `callbackData`.
    const sendTeammate = async (phone: string, text: string): Promise<void> => {
      const response = await fetch(`${mock.url}/v1/businesses/${BUSINESS}/send/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ recipient: { id: phone, channelType: 'whatsapp' }, message: { text } }),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`the teammate's send answered ${response.status}: ${await response.text()}`);
    };
    const release = async (phone: string): Promise<void> => {
      // The hold ends when the desk asks: the replica may give the conversation back to the agent (and
      // send the turn of what was said meanwhile) before its answer to the desk arrives.
      const asked = Date.now();
      const response = await fetch(`${proxy.url}/handover/${encodeURIComponent(phone)}/release`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DESK_TOKEN}` },
        signal: AbortSignal.timeout(5000),
      });
      releases.push({ customer: phone, at: asked });
      log(`released ${phone}: ${response.status} ${await response.text()}`);
    };

    let saidCount = 0;
    const pending: Array<Promise<unknown>> = [];
    const say = (customer: number, message: number, asksForHuman: boolean): void => {
      const phone = phoneOf(customer);
      const text = textOf(customer, message, asksForHuman);
      said.push({ customer: phone, text, at: Date.now() });
      pending.push(mock.customer(phone, { name: `Customer ${customer}` }).says(text));
      saidCount += 1;
      if (saidCount === scenario.killAfterMessages) {
        killArmed = true;
        log(`kill armed after ${saidCount} messages`);
      }
      if (saidCount === scenario.restartRedisAfterMessages) {
        log('restarting redis');
        inBackground(redis.restart().then(() => log('redis restarted')));
      }
    };
    const pause = (): Promise<void> => sleep(600 + random() * 800);
    const customerScript = async (customer: number, startAfterMs: number, handsOver: boolean): Promise<void> => {
      await sleep(startAfterMs);
      const phone = phoneOf(customer);
      for (let message = 1; message <= scenario.messagesPerCustomer; message += 1) {
        const asksForHuman = handsOver && message === 3;
        say(customer, message, asksForHuman);
        if (asksForHuman) {
          // The handover reply reaches the customer, a teammate writes from the inbox; the customer goes on
          // writing while held (messages 4 to 6), then the desk releases the conversation.
          const handedOver = (sent: SentMessage): boolean =>
            sent.to === phone && JSON.stringify(sent.message).includes(' human please');
          await seen(mock.messaging, 'sent', mock.messaging.sent, handedOver, 10_000).catch(() =>
            log(`no handover reply for ${phone} within 10 s`),
          );
          // The desk releases once the teammate's echo reached the fleet, as a person releases after writing.
          const teammate = `A teammate here for customer ${customer}.`;
          await sendTeammate(phone, teammate);
          const echoed = (delivery: WebhookDelivery): boolean =>
            delivery.outcome === 'delivered' && delivery.body.includes(teammate);
          await seen(mock.messaging, 'delivery', mock.messaging.deliveries, echoed, 15_000).catch(() =>
            log(`the teammate's echo to ${phone} was not delivered within 15 s`),
          );
        }
        if (handsOver && message === 6) {
          // The desk releases a while after the last message said while held was delivered.
          await pending[pending.length - 1];
          await sleep(1000);
          await release(phone);
        }
        await pause();
      }
    };
    const scripts = Array.from({ length: scenario.customers }, (_, index) =>
      customerScript(index + 1, random() * 3000, index < scenario.handovers),
    );
    await Promise.all(scripts);
    await Promise.all(pending);
    await Promise.all(background);
    log(`all ${saidCount} messages said and delivered (or given up)`);

    // Quiet: no delivery pending, no response open, no new send for a second (bounded).
    let lastCount = -1;
    let quietSince = Date.now();
    await until(
      () => {
        const count = mock.messaging.sent.length + mock.messaging.deliveries.length + mock.requests.length;
        if (count !== lastCount) {
          lastCount = count;
          quietSince = Date.now();
        }
        const settled = mock.messaging.deliveries.every((d) => d.outcome !== 'pending') && mock.openResponses === 0;
        return settled && Date.now() - quietSince > 1500;
      },
      60_000,
      'the fleet to go quiet',
    );
    const deliveries = mock.messaging.deliveries;
    const attempts = deliveries.flatMap((d) => d.attempts);
    log(
      `${deliveries.length} deliveries (${deliveries.filter((d) => d.duplicateOf).length} chaos duplicates, ` +
        `${deliveries.filter((d) => d.outcome === 'failed').length} given up), ${attempts.length} attempts ` +
        `(${attempts.filter((a) => a.answered !== undefined).length} answers lost, ` +
        `${attempts.filter((a) => a.status !== undefined && a.status >= 500).length} 5xx, ` +
        `${attempts.filter((a) => a.status === undefined && a.answered === undefined).length} failed); ` +
        `${mock.overlaps} overlapping turns`,
    );

    // What the replicas logged as errors, by kind (the text after the logger's context, numbers dropped).
    const kinds = new Map<string, number>();
    for (const line of replicas.flatMap((replica) => replica.errors)) {
      const kind = line
        .replace(/^.*?\] /, '')
        .replace(/[+\d]+/g, 'N')
        .slice(0, 120);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    for (const [kind, count] of kinds) log(`replicas logged ${count} × ${kind}`);
    // The engine's warning when it sends what is left of a reply another turn kept and did not finish.
    const takeovers = replicas
      .flatMap((replica) => replica.warnings)
      .filter((line) => /Taking over the reply/.test(line));
    if (takeovers.length > 0) log(`replies taken over from a turn that stopped: ${takeovers.length}`);

    const sends: WhatsAppSend[] = mock.messaging.sent.map((sent) => {
      const mark = (sent.callbackData as Record<string, unknown> | undefined)?.[SENT_BY_FIELD];
      const replyId = /\[(r[0-9a-f]{8}\.\d+)\]/.exec(JSON.stringify(sent.message))?.[1];
      return { customer: sent.to, at: sent.at, automated: mark === SENT_BY_AUTOMATION, replyId };
    });
    return {
      history: { said, arrivals, turns, sends, releases },
      durationMs: Date.now() - started,
      events,
      takeovers: takeovers.length,
    };
  } finally {
    await Promise.allSettled(background);
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}
