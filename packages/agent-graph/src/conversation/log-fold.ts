// The records of a LogConversationStore and their fold: each mutating call is one JSON record, and the
// state of every key is what the reference store (MemoryConversationStore) holds after replaying the
// records in log order, each at its writer's clock. Records this version cannot read are skipped.

import { ConnectlyError } from '../errors/errors.js';
import { MemoryConversationStore } from './memory-store.js';
import type { ConversationStore } from './store.js';

/** The calls that change the store: each appends one record. */
const MUTATIONS = [
  'set',
  'delete',
  'lock',
  'renew',
  'unlock',
  'claimDelivery',
  'renewDelivery',
  'completeDelivery',
  'releaseDelivery',
  'setHold',
  'clearHold',
  'recordChoices',
  'noteInbound',
  'recordSend',
  'matchEcho',
  'appendInbox',
  'ackInbox',
  'openOutbox',
  'markOutbox',
  'closeOutbox',
] as const;
export type Mutation = (typeof MUTATIONS)[number];
const MUTATION_NAMES: ReadonlySet<string> = new Set(MUTATIONS);

type Method<M extends Mutation> = Extract<ConversationStore[M], (...args: never[]) => unknown>;
/** The arguments of a mutation after its key (or delivery id). */
export type MutationArgs<M extends Mutation> = Method<M> extends (key: string, ...rest: infer R) => unknown ? R : never;
/** What a mutation answers. */
export type MutationResult<M extends Mutation> = Awaited<ReturnType<Method<M>>>;

// Marks a record as this store's, among whatever else shares the log (e.g. a chat memory's messages).
const LOG = 'connectly-conversation';
const VERSION = 1;

/** One mutating call, as appended. */
export interface LogRecord {
  op: Mutation;
  /** The conversation key, or the delivery id of a claim. */
  key: string;
  args: unknown[];
  /** The writer's clock when it appended, in ms since the epoch: expiry in the fold is judged by it. */
  at: number;
  /** Random: how the writer finds its own record in the log. */
  nonce: string;
}

/** The record as a string for the log. */
export function encodeRecord(record: LogRecord): string {
  return JSON.stringify({ log: LOG, v: VERSION, ...record });
}

/** The record a log string holds, or undefined when it is not one this version reads. */
function decodeRecord(text: string): LogRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { op, key, args, at, nonce } = record;
  if (record['log'] !== LOG || record['v'] !== VERSION) return undefined;
  if (typeof op !== 'string' || !MUTATION_NAMES.has(op) || typeof key !== 'string' || !Array.isArray(args))
    return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof nonce !== 'string') return undefined;
  return { op: op as Mutation, key, args, at, nonce };
}

/**
 * The log did not give back the record a store had just appended: its `read()` does not return what its
 * `append()` wrote.
 */
export class ConversationLogError extends ConnectlyError {}
Object.defineProperty(ConversationLogError.prototype, 'name', {
  value: 'ConversationLogError',
  writable: true,
  configurable: true,
});

/** The reference store, replaying at a clock the fold sets. */
export class Replay {
  #clock = 0;
  readonly state = new MemoryConversationStore({ now: () => this.#clock, maxEntries: Number.MAX_SAFE_INTEGER });

  /** Sets the clock the state's expiry is judged by. */
  at(time: number): this {
    this.#clock = time;
    return this;
  }

  /** Applies one call to the state at the current clock; rejects as the reference store does (bad arguments). */
  apply(op: Mutation, key: string, args: readonly unknown[]): Promise<unknown> {
    const method = this.state[op] as (this: MemoryConversationStore, ...all: unknown[]) => Promise<unknown>;
    return method.call(this.state, key, ...args);
  }
}

/**
 * Folds `records` in order. With `nonce`, stops at the record carrying it and answers what that record
 * did (rejecting as the reference store would); without, folds them all and answers undefined. A record
 * that is not this version's, that the reference store refuses, or whose nonce came before, changes nothing.
 */
export async function foldLog(records: readonly string[], replay: Replay, nonce?: string): Promise<unknown> {
  const seen = new Set<string>();
  for (const text of records) {
    const record = decodeRecord(text);
    // A record appended twice (an append retried after a lost answer) takes effect once, where it came first.
    if (record === undefined || seen.has(record.nonce)) continue;
    seen.add(record.nonce);
    // [INFERRED] Judged at its writer's clock: right only while the clocks of the processes sharing the log
    // are close (a lease ends when the clock of whoever appends next says so).
    replay.at(record.at);
    if (record.nonce === nonce) return replay.apply(record.op, record.key, record.args);
    try {
      await replay.apply(record.op, record.key, record.args);
    } catch {
      // Arguments the reference store refuses (a writer checks its own before appending): no effect.
    }
  }
  if (nonce === undefined) return undefined;
  throw new ConversationLogError(
    `The conversation log did not return the record just appended (nonce ${nonce}): its read() must return ` +
      'every record its append() wrote, oldest first, from the same log (not a replica that lags behind, ' +
      'nor a log that was trimmed or expired in between)',
  );
}
