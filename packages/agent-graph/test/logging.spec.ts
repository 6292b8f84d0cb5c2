// The logger option and CONNECTLY_LOG=debug: requests, retries, statuses, timings and outcomes, never the key.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConnectlyValidationError } from '../src/index.js';
import { API_KEY, collect, collectUntilError, recorder, useMockServer } from './helpers.js';

const h = useMockServer();

describe('the logger option', () => {
  it('logs the request, the HTTP status and the outcome with its events and timings', async () => {
    const sessionId = await h.newSession();
    const { logger, lines } = recorder();
    const events = await collect(
      h.clientWith({ logger }).invoke({ clientKey: 'customer-1', sessionId, text: 'I want a festive gift' }),
    );
    expect(lines.map((line) => line.message)).toEqual([
      'connectly invoke: request',
      'connectly invoke: HTTP 200',
      'connectly invoke: done',
    ]);
    expect(lines[0]?.fields).toEqual({ endpoint: 'invoke', host: new URL(h.mock.url).host });
    expect(lines[1]?.fields).toMatchObject({ status: 200, attempt: 1, ms: expect.any(Number) });
    expect(lines[2]?.fields).toMatchObject({
      events: events.length,
      firstEventMs: expect.any(Number),
      ms: expect.any(Number),
    });
  });

  it('logs each retry with its reason and wait, and a failure as a warning', async () => {
    const sessionId = await h.newSession();
    const { logger, lines } = recorder();
    h.mock.inject({ status: 503, retryAfter: 0 });
    h.mock.inject({ status: 404 });
    const { error } = await collectUntilError(
      h.clientWith({ logger }).invoke({ clientKey: 'customer-1', sessionId, text: 'Hi' }),
    );
    expect(error).toBeDefined();
    expect(lines.map((line) => `${line.level} ${line.message}`)).toEqual([
      'debug connectly invoke: request',
      'debug connectly invoke: HTTP 503',
      expect.stringMatching(/^debug connectly invoke: retrying in \d+ ms after HTTP 503$/),
      'debug connectly invoke: HTTP 404',
      expect.stringMatching(/^warn connectly invoke: Connectly invoke failed \(HTTP 404/),
    ]);
    expect(lines[4]?.fields).toMatchObject({ error: 'ConnectlyApiError', events: 0 });
  });

  it('never logs the key, even when the server echoes it', async () => {
    const { logger, lines } = recorder();
    h.mock.inject({ endpoint: 'init', status: 400, message: `bad key ${API_KEY}` });
    await collectUntilError(h.clientWith({ logger }).init({ clientKey: 'customer-1' }));
    expect(lines.length).toBeGreaterThan(1);
    expect(JSON.stringify(lines)).not.toContain(API_KEY);
  });

  it('rejects a logger without debug and warn', () => {
    expect(() => h.clientWith({ logger: { info: () => undefined } as never })).toThrow(ConnectlyValidationError);
  });
});

describe('CONNECTLY_LOG=debug', () => {
  it('writes each call to stderr, without the key', async () => {
    const script = `
      const { ConnectlyClient } = require('connectly-agent-graph');
      const client = new ConnectlyClient({ apiKey: process.env.KEY, businessId: 'biz-1', baseUrl: process.env.URL });
      client.session({ clientKey: 'customer-1' }).reply('Hi').then(() => console.log('ok'));`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, CONNECTLY_LOG: 'debug', KEY: API_KEY, URL: h.mock.url },
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('ok');
    expect(stderr).toContain('[connectly] debug connectly init: request');
    expect(stderr).toMatch(/\[connectly\] debug connectly invoke: done \{"endpoint":"invoke","events":\d+/);
    expect(stderr).not.toContain(API_KEY);
  });
});
