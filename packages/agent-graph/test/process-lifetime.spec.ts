// The client in a process of its own: a call in flight keeps the process alive until it settles (a retry
// back-off included), and a client with nothing in flight lets the process exit.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';

const root = join(__dirname, '..', '..', '..');

/** A loopback URL nothing listens on: a mock server's, once stopped. */
async function deadUrl(): Promise<string> {
  const mock = new MockConnectlyServer();
  const url = await mock.start();
  await mock.stop();
  return url;
}

interface Exit {
  code: number | null;
  killed: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a CommonJS script that requires the built client; killed if it has not exited within `timeout`. */
function runScript(script: string, env: Record<string, string>, timeout = 30_000): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', script],
      { cwd: root, env: { ...process.env, ...env }, timeout },
      (error, stdout, stderr) => {
        const failed = error as (Error & { code?: number | string; killed?: boolean }) | null;
        resolve({
          code: failed ? (typeof failed.code === 'number' ? failed.code : null) : 0,
          killed: failed?.killed ?? false,
          stdout,
          stderr,
        });
      },
    );
  });
}

const client = `
  const { ConnectlyClient } = require('connectly-agent-graph');
  const client = new ConnectlyClient({
    apiKey: 'k', businessId: 'biz-1', baseUrl: process.env.URL,
    retryBaseDelayMs: Number(process.env.BACKOFF), maxRetries: Number(process.env.RETRIES),
  });`;

describe('the process running the client', () => {
  it('stays alive while a call retries a refused connection, and the call rejects with the connection error', async () => {
    const url = await deadUrl();
    const { code, killed, stdout } = await runScript(
      `${client}
      client.session({ clientKey: 'customer-1' }).reply('hi').then(
        () => console.log('resolved'),
        (error) => console.log('rejected', error.name, error.errorCode),
      );`,
      { URL: url, BACKOFF: '300', RETRIES: '2' },
    );
    expect(killed).toBe(false);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('rejected ConnectlyConnectionError ECONNREFUSED');
  });

  it('an unhandled failure of a pending call ends the process with a non-zero code', async () => {
    const url = await deadUrl();
    const { code, killed, stderr } = await runScript(
      `${client}
      const { firstValueFrom } = require('rxjs');
      firstValueFrom(client.health());`,
      { URL: url, BACKOFF: '300', RETRIES: '2' },
    );
    expect(killed).toBe(false);
    expect(code).not.toBe(0);
    expect(stderr).toContain('ConnectlyConnectionError');
  });

  it('exits by itself when the client has nothing in flight: idle, or once its call was cancelled', async () => {
    const url = await deadUrl();
    // Cancelled during a back-off of a minute: were the call still holding the process, it would be killed.
    const { code, killed, stdout } = await runScript(
      `${client}
      const idle = client.session({ clientKey: 'customer-1' });
      const subscription = client.health().subscribe({ error: () => console.log('unexpected') });
      setTimeout(() => { subscription.unsubscribe(); console.log('cancelled'); }, 500);`,
      { URL: url, BACKOFF: '60000', RETRIES: '5' },
      20_000,
    );
    expect(killed).toBe(false);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('cancelled');
  });

  it('exits by itself once its calls were answered: a reply read to its end holds nothing', async () => {
    // The mock runs in this process: the child's open keep-alive connections are the pool's, which
    // hold nothing either.
    const mock = new MockConnectlyServer({ apiKey: 'k', businessId: 'biz-1' });
    const url = await mock.start();
    try {
      const { code, killed, stdout } = await runScript(
        `${client}
        const session = client.session({ clientKey: 'customer-1' });
        session.reply('hi').then(() => session.reply('a gift?')).then(
          (reply) => console.log('answered', reply.text.length > 0),
          (error) => console.log('rejected', error.name),
        );`,
        { URL: url, BACKOFF: '300', RETRIES: '2' },
        20_000,
      );
      expect(killed).toBe(false);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe('answered true');
    } finally {
      await mock.stop();
    }
  }, 30_000);
});
