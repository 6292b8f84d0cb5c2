// The options of the request pipeline, shared by the agent client and the messaging client, and the
// per-call options: what each means, its default, and the checks that turn a bad value into a
// ConnectlyValidationError naming the fix, before any request is made. A little past 350 lines: each
// option's documentation, default and check are kept together.

import { ConnectlyValidationError } from '../errors/errors.js';
import type { ConnectlyLogger, OpenTelemetryApi } from './call-log.js';
import {
  type Scheduler,
  defaultScheduler,
  defaultUserAgent,
  environmentLogger,
  TRANSPORT_LIMIT_MS,
  platformTransport,
} from './platform.js';
import { MAX_TIMER_DELAY_MS } from './timer-limit.js';
import type { PoolSettings } from './node-transport.js';
import type { FetchLike } from './transport.js';
import { describe, requireString } from '../decoding/validate.js';
import { checkBaseUrl } from './base-url.js';

export { DEFAULT_BASE_URL, normalizeBaseUrl } from './base-url.js';

/** The options every Connectly client takes: the credentials, the address, and how requests are sent. */
export interface ConnectlyHttpOptions {
  /** Your Connectly API key, sent as the `x-api-key` header. Never logged, never in an error. */
  apiKey: string;
  /** Your Connectly business ID; a request may override it. */
  businessId: string;
  /** Default `https://api.connectly.ai`. */
  baseUrl?: string;
  /** Longest wait for the response headers, in ms (unary calls: for the whole answer). Default 60 000; 0 disables. */
  timeoutMs?: number;
  /** How many times a request that provably was not processed is tried again. Default 2. */
  maxRetries?: number;
  /** First backoff delay in ms; each retry doubles it (with jitter). Default 500. */
  retryBaseDelayMs?: number;
  /** A `Retry-After` longer than this (ms) is not waited for: the error is raised with `retryAfterMs`. Default 30 000. */
  maxRetryDelayMs?: number;
  /**
   * Replaces the default transport (undici's request API over a keep-alive pool) with a `fetch`-compatible
   * function: `globalThis.fetch`, a proxy-aware fetch, n8n's request helpers, a test double.
   */
  fetch?: FetchLike;
  /**
   * True when the `fetch` you pass adds the API key to each request itself (n8n's credential helpers do):
   * the client then sends no `x-api-key` header, so there is nothing for the transport to take off. The
   * client still calls `fetch` only with addresses under `baseUrl` and never follows a redirect, and
   * `apiKey` is still required, so that the key is kept out of every error and log. Only with `fetch`.
   */
  fetchAddsApiKey?: boolean;
  /**
   * The default transport's connection pool: `connections` per origin (default: no limit), `keepAliveTimeoutMs`
   * (default 4 000), `pipelining` (default 1, off). Not with `fetch`, which brings its own.
   */
  pool?: PoolSettings;
  /** Sent as the `user-agent` header. */
  userAgent?: string;
  /** The timers behind every time limit and retry back-off; default: the runtime's own. */
  scheduler?: Scheduler;
  /**
   * Receives each call's request, retries, status, timings and outcome (pino-compatible; never the key).
   * Default: none, or stderr lines when the environment has `CONNECTLY_LOG=debug`.
   */
  logger?: ConnectlyLogger;
  /**
   * `@opentelemetry/api` (`import * as opentelemetry from '@opentelemetry/api'`): each call becomes a client
   * span (endpoint, HTTP status, retries, events, time to first event, session ID; never the key), and its
   * `traceparent` is sent with the request.
   */
  openTelemetry?: OpenTelemetryApi;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call; the Observable then errors with ConnectlyAbortError. */
  signal?: AbortSignal;
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

/** Every pipeline option checked and defaulted; the key stays apart, so it is never in a printable object. */
export interface ResolvedHttpOptions {
  apiKey: string;
  businessId: string;
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  fetch: FetchLike;
  /** False when the `fetch` adds the key itself (`fetchAddsApiKey`). */
  sendApiKey: boolean;
  userAgent: string;
  scheduler: Scheduler;
  /** The longest time limit the fetch in use can honour. */
  fetchLimitMs: number;
  logger: ConnectlyLogger | undefined;
  openTelemetry: OpenTelemetryApi | undefined;
}

/** The time limits of one call. */
export interface CallSettings {
  timeoutMs: number;
  idleTimeoutMs: number;
}

/** What a call's limits default to, and how long they may be. */
export interface CallDefaults extends CallSettings {
  fetchLimitMs: number;
}

/** The names of the pipeline's options, in the order error messages list them. */
export const HTTP_OPTION_NAMES: ReadonlyArray<keyof ConnectlyHttpOptions> = [
  'apiKey',
  'businessId',
  'baseUrl',
  'timeoutMs',
  'maxRetries',
  'retryBaseDelayMs',
  'maxRetryDelayMs',
  'fetch',
  'fetchAddsApiKey',
  'pool',
  'userAgent',
  'scheduler',
  'logger',
  'openTelemetry',
];

/** A time limit: 0 or Infinity disables it; otherwise at most what a timer can wait (and what fetch allows). */
export function checkLimit(value: unknown, field: string, fallback: number, fetchLimit: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be a number of milliseconds ≥ 0 (0 disables it), got ${describe(value)}`,
    );
  }
  if (value === Infinity) return 0;
  if (value > fetchLimit) {
    throw new ConnectlyValidationError(
      field,
      fetchLimit === TRANSPORT_LIMIT_MS
        ? `\`${field}\` must be at most ${TRANSPORT_LIMIT_MS} ms with the default transport, which gives up after that ` +
            `by itself, as Node's fetch does; for longer waits pass a \`fetch\` whose dispatcher allows them, got ${value}`
        : `\`${field}\` must be at most ${MAX_TIMER_DELAY_MS} ms (about 24.8 days), or 0 to disable it, got ${value}`,
    );
  }
  return value;
}

/** A wait: a finite number of milliseconds a timer can take; with `unbounded`, Infinity means no upper bound. */
function checkDelay(value: unknown, field: string, fallback: number, unbounded = false): number {
  if (value === undefined) return fallback;
  if (unbounded && value === Infinity) return Infinity;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_DELAY_MS) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be a number of milliseconds from 0 to ${MAX_TIMER_DELAY_MS}` +
        `${unbounded ? ' (or Infinity for no limit)' : ''}, got ${describe(value)}`,
    );
  }
  return value;
}

/** A string sent in a header: nothing a header cannot carry (line breaks, NUL, control or non-Latin-1 characters). */
function checkHeaderSafe(value: string, field: string): string {
  const bad = /[^\t\x20-\x7e\x80-\xff]/.exec(value);
  if (bad) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` holds a character an HTTP header cannot carry (code ${bad[0].charCodeAt(0)} at position ${bad.index}): ` +
        'copy the value again without line breaks or control characters',
    );
  }
  return value;
}

function checkScheduler(value: unknown): Scheduler {
  if (value === undefined) return defaultScheduler;
  const scheduler = value as Partial<Scheduler> | null;
  if (
    typeof scheduler !== 'object' ||
    scheduler === null ||
    typeof scheduler.setTimeout !== 'function' ||
    typeof scheduler.clearTimeout !== 'function'
  ) {
    throw new ConnectlyValidationError(
      'scheduler',
      '`scheduler` must be an object with setTimeout(callback, ms) and clearTimeout(handle) functions',
    );
  }
  return scheduler as Scheduler;
}

/**
 * Checks the options of a client (`owner` names it in errors) and fills in the defaults: `names` are the
 * options that client takes (the pipeline's and its own), `timeoutMs` its default time limit.
 */
export function resolveHttpOptions(
  options: ConnectlyHttpOptions,
  owner: string,
  names: readonly string[],
  defaultTimeoutMs: number,
): ResolvedHttpOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConnectlyValidationError('options', `${owner} needs an options object: { apiKey, businessId }`);
  }
  for (const name of Object.keys(options)) {
    if (!names.includes(name)) {
      throw new ConnectlyValidationError(name, `Unknown option \`${name}\`: ${owner} takes ${names.join(', ')}`);
    }
  }
  // A key read from a file or a secret store often ends with a newline: it is not part of the key.
  const apiKey = checkHeaderSafe(
    requireString(options.apiKey, 'apiKey', 'your Connectly API key, sent as the x-api-key header').trim(),
    'apiKey',
  );
  const businessId = checkHeaderSafe(
    requireString(options.businessId, 'businessId', 'your Connectly business ID'),
    'businessId',
  );
  const baseUrl = checkBaseUrl(options.baseUrl, apiKey);
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ConnectlyValidationError('fetch', '`fetch` must be a fetch-compatible function');
  }
  const pool = checkPool(options.pool, options.fetch !== undefined);
  const fetchAddsApiKey = options.fetchAddsApiKey ?? false;
  if (typeof fetchAddsApiKey !== 'boolean') {
    throw new ConnectlyValidationError(
      'fetchAddsApiKey',
      `\`fetchAddsApiKey\` must be true or false, got ${describe(fetchAddsApiKey)}`,
    );
  }
  if (fetchAddsApiKey && options.fetch === undefined) {
    throw new ConnectlyValidationError(
      'fetchAddsApiKey',
      '`fetchAddsApiKey` needs the `fetch` that adds the key: pass it as `fetch`, or leave the option out to have the client send the key',
    );
  }
  const fetchLimit = options.fetch === undefined ? TRANSPORT_LIMIT_MS : MAX_TIMER_DELAY_MS;
  const timeoutMs = checkLimit(options.timeoutMs, 'timeoutMs', defaultTimeoutMs, fetchLimit);
  const retryBaseDelayMs = checkDelay(options.retryBaseDelayMs, 'retryBaseDelayMs', 500);
  const maxRetryDelayMs = checkDelay(options.maxRetryDelayMs, 'maxRetryDelayMs', 30_000, true);
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) {
    throw new ConnectlyValidationError(
      'maxRetries',
      `\`maxRetries\` must be a whole number from 0 to 10, got ${describe(maxRetries)}`,
    );
  }
  return {
    apiKey,
    businessId,
    baseUrl,
    timeoutMs,
    maxRetries,
    retryBaseDelayMs,
    maxRetryDelayMs,
    fetch: options.fetch ?? platformTransport(pool),
    sendApiKey: !fetchAddsApiKey,
    userAgent:
      options.userAgent === undefined
        ? defaultUserAgent()
        : checkHeaderSafe(requireString(options.userAgent, 'userAgent'), 'userAgent'),
    scheduler: checkScheduler(options.scheduler),
    fetchLimitMs: fetchLimit,
    logger: checkLogger(options.logger),
    openTelemetry: checkOpenTelemetry(options.openTelemetry),
  };
}

const POOL_FIELDS: Readonly<Record<keyof PoolSettings, [min: number, max: number, what: string]>> = {
  connections: [1, 65_536, 'a whole number of connections per origin'],
  keepAliveTimeoutMs: [1, MAX_TIMER_DELAY_MS, 'a whole number of milliseconds'],
  pipelining: [1, 100, 'a whole number of requests per connection (1: no pipelining)'],
};

function checkPool(value: unknown, ownFetch: boolean): PoolSettings | undefined {
  if (value === undefined) return undefined;
  if (ownFetch) {
    throw new ConnectlyValidationError(
      'pool',
      '`pool` sets up the default transport and cannot go with `fetch`: configure the pool of your own fetch instead',
    );
  }
  if (typeof value !== 'object' || value === null) {
    throw new ConnectlyValidationError(
      'pool',
      '`pool` must be an object: { connections?, keepAliveTimeoutMs?, pipelining? }',
    );
  }
  const pool = value as Record<string, unknown>;
  for (const [name, field] of Object.entries(pool)) {
    const rule = POOL_FIELDS[name as keyof PoolSettings] as (typeof POOL_FIELDS)[keyof PoolSettings] | undefined;
    if (rule === undefined) {
      throw new ConnectlyValidationError(
        `pool.${name}`,
        `Unknown pool setting \`${name}\`: pool takes ${Object.keys(POOL_FIELDS).join(', ')}`,
      );
    }
    const [min, max, what] = rule;
    if (field !== undefined && (!Number.isInteger(field) || (field as number) < min || (field as number) > max)) {
      throw new ConnectlyValidationError(
        `pool.${name}`,
        `\`pool.${name}\` must be ${what} from ${min} to ${max}, got ${describe(field)}`,
      );
    }
  }
  return { ...(pool as PoolSettings) };
}

function checkOpenTelemetry(value: unknown): OpenTelemetryApi | undefined {
  if (value === undefined) return undefined;
  const api = value as Partial<OpenTelemetryApi> | null;
  if (typeof api?.trace?.getTracer !== 'function' || typeof api.propagation?.inject !== 'function') {
    throw new ConnectlyValidationError(
      'openTelemetry',
      "`openTelemetry` must be the @opentelemetry/api module: import * as opentelemetry from '@opentelemetry/api'",
    );
  }
  return api as OpenTelemetryApi;
}

function checkLogger(value: unknown): ConnectlyLogger | undefined {
  if (value === undefined) return environmentLogger();
  const logger = value as Partial<ConnectlyLogger> | null;
  if (
    typeof logger !== 'object' ||
    logger === null ||
    typeof logger.debug !== 'function' ||
    typeof logger.warn !== 'function'
  ) {
    throw new ConnectlyValidationError(
      'logger',
      '`logger` must have debug(fields, message) and warn(fields, message) methods, as a pino logger has',
    );
  }
  return logger as ConnectlyLogger;
}

/** Checks one call's options; what it leaves out comes from the client's. */
export function resolveCallSettings(options: CallOptions | undefined, defaults: CallDefaults): CallSettings {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConnectlyValidationError(
      'options',
      'Call options must be an object: { signal?, timeoutMs?, idleTimeoutMs? }',
    );
  }
  if (options?.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new ConnectlyValidationError('signal', '`signal` must be an AbortSignal');
  }
  return {
    timeoutMs: checkLimit(options?.timeoutMs, 'timeoutMs', defaults.timeoutMs, defaults.fetchLimitMs),
    idleTimeoutMs: checkLimit(options?.idleTimeoutMs, 'idleTimeoutMs', defaults.idleTimeoutMs, defaults.fetchLimitMs),
  };
}
