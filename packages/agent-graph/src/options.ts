// The options of `new ConnectlyClient(…)`: the pipeline's (http/options.ts), the agent stream's own
// limits, and where sessions are kept. Checked once, before any request is made.

import { ConnectlyValidationError } from './errors/errors.js';
import {
  type ConnectlyHttpOptions,
  HTTP_OPTION_NAMES,
  type ResolvedHttpOptions,
  checkLimit,
  resolveHttpOptions,
} from './http/options.js';
import { type SessionSettings, type SessionStore, sessionSettings } from './sessions/session-store.js';
import { DEFAULT_MAX_LINE_LENGTH } from './decoding/line-decoder.js';
import { describe } from './decoding/validate.js';

export interface ConnectlyClientOptions extends ConnectlyHttpOptions {
  /** Longest silence allowed while a response streams in, in ms; keep-alive lines count as activity. Default 60 000; 0 disables. */
  idleTimeoutMs?: number;
  /** Longest NDJSON line accepted, in characters. Default 32 Mi. */
  maxLineLength?: number;
  /**
   * Where `session({ clientKey })` keeps each customer's session, shared by every process using the same
   * store (MemorySessionStore for one process, RedisSessionStore for several). Without it, each session
   * object starts its own session.
   */
  sessionStore?: SessionStore;
  /** With a store: a session with no turn for this long is forgotten, in ms. Default 24 h. */
  sessionIdleMs?: number;
  /** With a store: how long a turn's lock outlives a crashed holder, in ms (renewed while held). Default 30 000. */
  sessionLeaseMs?: number;
  /**
   * With a store: the longest wait for one store call, in ms; a store that does not answer by then fails
   * the turn with ConnectlySessionStoreError. Default 5 000, or a third of `sessionLeaseMs` when less.
   */
  sessionStoreTimeoutMs?: number;
}

/** Every client option checked and defaulted. */
export interface ResolvedOptions extends ResolvedHttpOptions {
  idleTimeoutMs: number;
  maxLineLength: number;
  /** Undefined without a session store. */
  sessions: SessionSettings | undefined;
}

const OPTION_NAMES: readonly string[] = [
  ...HTTP_OPTION_NAMES,
  ...([
    'idleTimeoutMs',
    'maxLineLength',
    'sessionStore',
    'sessionIdleMs',
    'sessionLeaseMs',
    'sessionStoreTimeoutMs',
  ] satisfies Array<keyof ConnectlyClientOptions>),
];

/** Checks the options of `new ConnectlyClient(…)` and fills in the defaults. */
export function resolveOptions(options: ConnectlyClientOptions): ResolvedOptions {
  const http = resolveHttpOptions(options, 'ConnectlyClient', OPTION_NAMES, 60_000);
  const idleTimeoutMs = checkLimit(options.idleTimeoutMs, 'idleTimeoutMs', 60_000, http.fetchLimitMs);
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (typeof maxLineLength !== 'number' || !(maxLineLength > 0)) {
    throw new ConnectlyValidationError(
      'maxLineLength',
      `\`maxLineLength\` must be a positive number of characters, got ${describe(maxLineLength)}`,
    );
  }
  return { ...http, idleTimeoutMs, maxLineLength, sessions: sessionSettings(options) };
}
