// The retry rules on their own: what is tried again, after how long, and what a Retry-After means.
import { BACKOFF_CAP_MS, backoffDelay, failurePhase, parseRetryAfter, retryDelay } from '../src/http/retry.js';

const policy = { maxRetries: 2, retryBaseDelayMs: 500, maxRetryDelayMs: 30_000 };
const status = (code: number, retryAfterMs?: number) => ({ kind: 'status', status: code, retryAfterMs }) as const;
const connection = (errorCode?: string) => ({ kind: 'connection', errorCode }) as const;
const lowest = () => 0;
const highest = () => 1;

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it.each([
    ['whole seconds', '3', 3000],
    ['fractional seconds', '1.5', 1500],
    ['zero', '0', 0],
    ['seconds with spaces around', '  2 ', 2000],
  ])('reads %s', (_, value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('reads an HTTP date as the time left until then', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:07 GMT', now)).toBe(7000);
  });

  it.each([
    ['absent', null],
    ['empty', ''],
    ['blank', '   '],
    ['not a number or date', 'soon'],
    ['negative', '-1'],
    ['a bare number Date.parse would take for a year', '2026-'],
    ['an HTTP date that has passed', 'Tue, 01 Dec 2026 09:59:00 GMT'],
    ['an HTTP date that is now', 'Tue, 01 Dec 2026 10:00:00 GMT'],
  ])('gives undefined when %s', (_, value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('waits between half and all of base × 2^attempt', () => {
    expect(backoffDelay(0, 500, BACKOFF_CAP_MS, lowest)).toBe(250);
    expect(backoffDelay(0, 500, BACKOFF_CAP_MS, highest)).toBe(500);
    expect(backoffDelay(2, 500, BACKOFF_CAP_MS, lowest)).toBe(1000);
    expect(backoffDelay(2, 500, BACKOFF_CAP_MS, highest)).toBe(2000);
  });

  it('never waits longer than the cap', () => {
    expect(backoffDelay(20, 500, BACKOFF_CAP_MS, highest)).toBe(BACKOFF_CAP_MS);
  });
});

describe('retryDelay', () => {
  it('retries 429 and 503 before any body on every endpoint, with back-off', () => {
    for (const endpoint of ['init', 'invoke', 'invoke_sync', 'close', 'health'] as const) {
      expect(retryDelay(endpoint, 0, status(429), policy, highest)).toBe(500);
      expect(retryDelay(endpoint, 1, status(503), policy, highest)).toBe(1000);
    }
  });

  it('never re-sends an invoke, init or invoke_sync the server may have processed', () => {
    for (const endpoint of ['init', 'invoke', 'invoke_sync'] as const) {
      for (const code of [500, 502, 504, 400, 401, 404])
        expect(retryDelay(endpoint, 0, status(code), policy)).toBeUndefined();
      expect(retryDelay(endpoint, 0, connection('ECONNRESET'), policy)).toBeUndefined();
      expect(retryDelay(endpoint, 0, connection(undefined), policy)).toBeUndefined();
    }
  });

  it('retries gateway errors and broken connections for health and close, which change nothing on a repeat', () => {
    for (const endpoint of ['health', 'close'] as const) {
      for (const code of [500, 502, 504]) expect(retryDelay(endpoint, 0, status(code), policy, lowest)).toBe(250);
      expect(retryDelay(endpoint, 0, status(400), policy)).toBeUndefined();
      expect(retryDelay(endpoint, 0, connection('ECONNRESET'), policy, lowest)).toBe(250);
    }
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])(
    'retries an invoke whose connection failed with %s: it never reached the server',
    (code) => {
      expect(retryDelay('invoke', 0, connection(code), policy, lowest)).toBe(250);
    },
  );

  it('waits what Retry-After asks, up to maxRetryDelayMs; beyond it the error is reported', () => {
    expect(retryDelay('invoke', 0, status(429, 1200), policy)).toBe(1200);
    expect(retryDelay('invoke', 0, status(503, 30_000), policy)).toBe(30_000);
    expect(retryDelay('invoke', 0, status(503, 30_001), policy)).toBeUndefined();
  });

  it('stops when the retries are used up', () => {
    expect(retryDelay('health', 2, status(503), policy)).toBeUndefined();
    expect(retryDelay('health', 0, status(503), { ...policy, maxRetries: 0 })).toBeUndefined();
  });

  it('caps the back-off whatever the attempt', () => {
    const many = { ...policy, maxRetries: 10 };
    expect(retryDelay('health', 9, status(503), many, highest)).toBe(BACKOFF_CAP_MS);
  });
});

describe('failurePhase', () => {
  it.each([
    'ECONNREFUSED',
    'ENOTFOUND',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'EPROTO',
    'CERT_HAS_EXPIRED',
    'SELF_SIGNED_CERT_IN_CHAIN',
  ])('%s failed before anything reached the server', (code) => {
    expect(failurePhase(code)).toBe('connect');
  });

  it.each(['ECONNRESET', 'UND_ERR_SOCKET', undefined])('%s broke while the answer was arriving', (code) => {
    expect(failurePhase(code)).toBe('response');
  });
});
