// The client's options and the per-call options: what each means, its default, and the checks that
// turn a bad value into a ConnectlyValidationError naming the fix, before any request is made.

import { ConnectlyValidationError, excerpt, redact } from './errors.js';
import { DEFAULT_MAX_LINE_LENGTH } from './line-decoder.js';
import { type Scheduler, defaultScheduler, defaultUserAgent, platformFetch } from './platform.js';
import type { FetchLike } from './transport.js';
import { requireString } from './validate.js';

export const DEFAULT_BASE_URL = 'https://api.connectly.ai';

export interface ConnectlyClientOptions {
  /** Your Connectly API key, sent as the `x-api-key` header. Never logged, never in an error. */
  apiKey: string;
  /** Your Connectly business ID; a request may override it. */
  businessId: string;
  /** Default `https://api.connectly.ai`. */
  baseUrl?: string;
  /** Longest wait for the response headers, in ms (unary calls: for the whole answer). Default 60 000; 0 disables. */
  timeoutMs?: number;
  /** Longest silence allowed while a response streams in, in ms; keep-alive lines count as activity. Default 60 000; 0 disables. */
  idleTimeoutMs?: number;
  /** How many times a request that provably was not processed is tried again. Default 2. */
  maxRetries?: number;
  /** First backoff delay in ms; each retry doubles it (with jitter). Default 500. */
  retryBaseDelayMs?: number;
  /** A `Retry-After` longer than this (ms) is not waited for: the error is raised with `retryAfterMs`. Default 30 000. */
  maxRetryDelayMs?: number;
  /** Longest NDJSON line accepted, in characters. Default 32 Mi. */
  maxLineLength?: number;
  /** Replaces the platform `fetch` (proxies, n8n's request helpers, tests). */
  fetch?: FetchLike;
  /** Sent as the `user-agent` header. */
  userAgent?: string;
  /** The timers behind every time limit and retry back-off; default: the runtime's own. */
  scheduler?: Scheduler;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call; the Observable then errors with ConnectlyAbortError. */
  signal?: AbortSignal;
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

/** Every client option checked and defaulted; the key stays apart, so it is never in a printable object. */
export interface ResolvedOptions {
  apiKey: string;
  businessId: string;
  baseUrl: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  maxLineLength: number;
  fetch: FetchLike;
  userAgent: string;
  scheduler: Scheduler;
}

/** The time limits of one call. */
export interface CallSettings {
  timeoutMs: number;
  idleTimeoutMs: number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set<keyof ConnectlyClientOptions>([
  'apiKey',
  'businessId',
  'baseUrl',
  'timeoutMs',
  'idleTimeoutMs',
  'maxRetries',
  'retryBaseDelayMs',
  'maxRetryDelayMs',
  'maxLineLength',
  'fetch',
  'userAgent',
  'scheduler',
]);

function checkDuration(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be a number of milliseconds ≥ 0 (0 disables it), got ${JSON.stringify(value)}`,
    );
  }
  return value === Infinity ? 0 : value;
}

function checkBaseUrl(value: unknown, apiKey: string): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  const text = requireString(value, 'baseUrl', `the API address, e.g. ${DEFAULT_BASE_URL}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectlyValidationError(
      'baseUrl',
      `\`baseUrl\` must be an http(s) URL such as ${DEFAULT_BASE_URL}, got "${excerpt(redact(text, apiKey), 60)}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectlyValidationError(
      'baseUrl',
      `\`baseUrl\` must start with http:// or https://, such as ${DEFAULT_BASE_URL}, got "${excerpt(redact(text, apiKey), 60)}"`,
    );
  }
  if (url.search || url.hash) {
    throw new ConnectlyValidationError('baseUrl', '`baseUrl` must not have a query string or a fragment');
  }
  return url.href.replace(/\/+$/, '');
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

/** Checks the options of `new ConnectlyClient(…)` and fills in the defaults. */
export function resolveOptions(options: ConnectlyClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConnectlyValidationError('options', 'ConnectlyClient needs an options object: { apiKey, businessId }');
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new ConnectlyValidationError(
        name,
        `Unknown option \`${name}\`: ConnectlyClient takes ${[...OPTION_NAMES].join(', ')}`,
      );
    }
  }
  const apiKey = requireString(options.apiKey, 'apiKey', 'your Connectly API key, sent as the x-api-key header');
  const businessId = requireString(options.businessId, 'businessId', 'your Connectly business ID');
  const baseUrl = checkBaseUrl(options.baseUrl, apiKey);
  const timeoutMs = checkDuration(options.timeoutMs, 'timeoutMs', 60_000);
  const idleTimeoutMs = checkDuration(options.idleTimeoutMs, 'idleTimeoutMs', 60_000);
  const retryBaseDelayMs = checkDuration(options.retryBaseDelayMs, 'retryBaseDelayMs', 500);
  const maxRetryDelayMs = checkDuration(options.maxRetryDelayMs, 'maxRetryDelayMs', 30_000);
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) {
    throw new ConnectlyValidationError(
      'maxRetries',
      `\`maxRetries\` must be a whole number from 0 to 10, got ${JSON.stringify(maxRetries)}`,
    );
  }
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (typeof maxLineLength !== 'number' || !(maxLineLength > 0)) {
    throw new ConnectlyValidationError(
      'maxLineLength',
      `\`maxLineLength\` must be a positive number of characters, got ${JSON.stringify(maxLineLength)}`,
    );
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ConnectlyValidationError('fetch', '`fetch` must be a fetch-compatible function');
  }
  return {
    apiKey,
    businessId,
    baseUrl,
    timeoutMs,
    idleTimeoutMs,
    maxRetries,
    retryBaseDelayMs,
    maxRetryDelayMs,
    maxLineLength,
    fetch: options.fetch ?? platformFetch,
    userAgent: options.userAgent === undefined ? defaultUserAgent() : requireString(options.userAgent, 'userAgent'),
    scheduler: checkScheduler(options.scheduler),
  };
}

/** Checks one call's options; what it leaves out comes from the client's. */
export function resolveCallSettings(options: CallOptions | undefined, defaults: CallSettings): CallSettings {
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
    timeoutMs: checkDuration(options?.timeoutMs, 'timeoutMs', defaults.timeoutMs),
    idleTimeoutMs: checkDuration(options?.idleTimeoutMs, 'idleTimeoutMs', defaults.idleTimeoutMs),
  };
}
