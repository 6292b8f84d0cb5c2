// The connectly command, run in-process with its own stdin/stdout, against the embedded or an external mock.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { type Io, run } from '../src/index.js';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function connectly(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Outcome> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const io: Io = { stdin: Readable.from([options.stdin ?? '']), stdout, stderr, env: options.env ?? {} };
  const code = await run(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('connectly send', () => {
  it('with no API key, says it uses the embedded mock and prints the streamed reply', async () => {
    const { code, stdout, stderr } = await connectly(['send', 'I want a festive gift']);
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /No CONNECTLY_API_KEY set: talking to the embedded mock Connectly server at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(stdout).toContain('agent › Here are a few festive ideas');
    expect(stdout).toContain('🛍  Aurora Silk Scarf — 49.90 USD');
    expect(stderr).toMatch(/Session [0-9a-f-]{36} ended with the embedded mock server/);
    expect(stderr).not.toContain('--session');
  });

  it('refuses --session with the embedded mock, which starts empty on every command, and says what to do', async () => {
    const { code, stdout, stderr } = await connectly([
      'send',
      'again',
      '--session',
      'b6bed81c-5fda-486d-b96c-1ff3af36219a',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    // The explanation and one hint, not the whole usage text after them.
    expect(stderr).toBe(
      '--session b6bed81c-5fda-486d-b96c-1ff3af36219a cannot be continued here: the embedded mock server starts empty on every command.\n' +
        'Use `connectly chat` for a conversation, or run `npx connectly-mock` and pass its URL with --base-url.\n',
    );
  });

  it('the "continue it" hint, run as printed, continues the same session', async () => {
    const mock = new MockConnectlyServer();
    const url = await mock.start();
    try {
      const first = await connectly(['send', 'Hi', '--client-key', 'k-7'], { env: { CONNECTLY_BASE_URL: url } });
      const hint = /continue it with: connectly (send "…" .*)\)$/m.exec(first.stderr)?.[1];
      expect(hint).toMatch(/--session [0-9a-f-]{36} --client-key k-7$/);
      const args = (hint ?? '').split(' ').map((word) => (word === '"…"' ? 'show me the menu' : word));
      const second = await connectly(args, { env: { CONNECTLY_BASE_URL: url } });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('☰ How can I help?');
      const invokes = mock.requests
        .filter((r) => r.endpoint === 'invoke')
        .map((r) => (r.body as { sessionId?: string }).sessionId);
      expect(invokes).toHaveLength(2);
      expect(invokes[1]).toBe(invokes[0]);
      expect(mock.requests.filter((r) => r.endpoint === 'init')).toHaveLength(1);
    } finally {
      await mock.stop();
    }
  });

  it('with a base URL and no key, talks to that server (CONNECTLY_BASE_URL or --base-url), not an embedded mock', async () => {
    const mock = new MockConnectlyServer({ businessId: 'acme' });
    const url = await mock.start();
    try {
      const byEnv = await connectly(['send', 'hello'], {
        env: { CONNECTLY_BASE_URL: url, CONNECTLY_BUSINESS_ID: 'acme' },
      });
      const byFlag = await connectly(['send', 'hello', '--base-url', url], { env: { CONNECTLY_BUSINESS_ID: 'acme' } });
      for (const run of [byEnv, byFlag]) {
        expect(run.code).toBe(0);
        expect(run.stderr).toContain(`No CONNECTLY_API_KEY set: talking to ${url} without a key`);
        expect(run.stderr).not.toContain('embedded');
        expect(run.stdout).toContain("I'm the demo shopping assistant");
      }
      expect(mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke', 'init', 'invoke']);
    } finally {
      await mock.stop();
    }
  });

  it('--json prints every event as one JSON line', async () => {
    const { code, stdout } = await connectly(['send', 'talk to a human', '--json']);
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; sessionId: string });
    expect(events.map((e) => e.type)).toEqual(['messageEvent', 'agentHandoverEvent']);
    expect(events[1]).toMatchObject({ agentHandoverEvent: { triggerHandover: true }, known: true });
  });

  it('uses CONNECTLY_API_KEY, CONNECTLY_BUSINESS_ID and CONNECTLY_BASE_URL when set', async () => {
    const mock = new MockConnectlyServer({ apiKey: 'real-key', businessId: 'acme' });
    const url = await mock.start();
    try {
      const env = { CONNECTLY_API_KEY: 'real-key', CONNECTLY_BUSINESS_ID: 'acme', CONNECTLY_BASE_URL: url };
      const { code, stdout, stderr } = await connectly(['send', 'hello', '--client-key', 'k-1'], { env });
      expect(code).toBe(0);
      expect(stderr).not.toContain('embedded mock');
      expect(stdout).toContain("I'm the demo shopping assistant");
      expect(mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke']);
      expect(mock.requests[1]?.body).toMatchObject({ businessId: 'acme', clientKey: 'k-1' });

      const wrong = await connectly(['send', 'hello'], { env: { ...env, CONNECTLY_API_KEY: 'wrong-key-123' } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/error: Connectly init failed \(HTTP 401, UNAUTHENTICATED\)/);
      expect(wrong.stderr + wrong.stdout).not.toContain('wrong-key-123');
    } finally {
      await mock.stop();
    }
  });
});

describe('the API key in the CLI', () => {
  it('never appears in the output of any failure', async () => {
    const key = 'cli-secret-key-DISTINCTIVE-55aa';
    const mock = new MockConnectlyServer({ apiKey: 'another-key' });
    const url = await mock.start();
    try {
      const runs = [
        await connectly(['send', 'hello'], {
          env: { CONNECTLY_API_KEY: key, CONNECTLY_BUSINESS_ID: 'b', CONNECTLY_BASE_URL: url },
        }),
        await connectly(['health'], {
          env: { CONNECTLY_API_KEY: key, CONNECTLY_BUSINESS_ID: 'b', CONNECTLY_BASE_URL: url },
        }),
        await connectly(['chat'], {
          stdin: 'hi\n',
          env: { CONNECTLY_API_KEY: key, CONNECTLY_BUSINESS_ID: 'b', CONNECTLY_BASE_URL: url },
        }),
        await connectly(['send', 'hi'], {
          env: { CONNECTLY_API_KEY: key, CONNECTLY_BUSINESS_ID: 'b', CONNECTLY_BASE_URL: `not a url ${key}` },
        }),
        await connectly(['send', 'hi'], {
          env: {
            CONNECTLY_API_KEY: key,
            CONNECTLY_BUSINESS_ID: 'b',
            CONNECTLY_BASE_URL: 'http://connectly-mock.invalid',
          },
        }),
      ];
      for (const run of runs) {
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/error: /);
        expect(run.stdout + run.stderr).not.toContain(key);
      }
    } finally {
      await mock.stop();
    }
  });
});

describe('connectly chat', () => {
  it('sends each line as a turn in one session, prints replies, and closes the session at the end', async () => {
    const { code, stdout, stderr } = await connectly(['chat'], {
      stdin: 'Hi!\nshow me the menu\n\ncan I talk to a human\n',
    });
    expect(code).toBe(0);
    expect(stdout).toContain('you › Hi!');
    expect(stdout).toContain('☰ How can I help?');
    expect(stdout).toContain('[gifts] Gift ideas — Festive picks under $100');
    expect(stdout).toContain('⚠ HANDOVER (agentHandoverEvent)');
    expect(stdout.indexOf('you › Hi!')).toBeLessThan(stdout.indexOf('you › show me the menu'));
    expect(stderr).toMatch(/Session [0-9a-f-]{36} closed\./);
  });

  it('ends on /quit', async () => {
    const { code, stdout } = await connectly(['chat'], { stdin: 'hello\n/quit\nnot sent\n' });
    expect(code).toBe(0);
    expect(stdout).not.toContain('not sent');
  });
});

describe('connectly health and usage', () => {
  it('health without a key says plainly that it checked the embedded mock, not the Connectly API', async () => {
    const { code, stdout, stderr } = await connectly(['health']);
    expect(code).toBe(0);
    expect(stdout).toBe('healthy: the embedded mock server, not the Connectly API\n');
    expect(stderr).toContain('Set CONNECTLY_API_KEY and CONNECTLY_BUSINESS_ID to check the Connectly API.');
    const json = await connectly(['health', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      healthy: true,
      baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
      embeddedMock: true,
    });
  });

  it('health with a server names the server it checked', async () => {
    const mock = new MockConnectlyServer({ apiKey: 'k' });
    const url = await mock.start();
    try {
      const env = { CONNECTLY_API_KEY: 'k', CONNECTLY_BUSINESS_ID: 'b', CONNECTLY_BASE_URL: url };
      expect(await connectly(['health'], { env })).toMatchObject({ code: 0, stdout: `healthy: ${url}\n` });
    } finally {
      await mock.stop();
    }
  });

  it('a bad port in the base URL is called a bad port: out of range, or one that fetch refuses', async () => {
    const range = await connectly(['health', '--base-url', 'http://127.0.0.1:99999']);
    expect(range.code).toBe(1);
    expect(range.stderr).toContain('error: The port in `baseUrl` must be 1–65535, got 99999');
    const refused = await connectly(['health', '--base-url', 'http://127.0.0.1:1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('fetch refuses to connect to that port (a "bad port" of the Fetch standard');
  });

  it('--version prints the version of the package, and nothing is started', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(await connectly(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await connectly(['-v'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('a key without a business ID is a usage error', async () => {
    const { code, stderr } = await connectly(['health'], { env: { CONNECTLY_API_KEY: 'k' } });
    expect(code).toBe(2);
    expect(stderr).toContain('CONNECTLY_BUSINESS_ID is required when CONNECTLY_API_KEY is set');
  });

  it('no command, an unknown command or send without text print the usage', async () => {
    expect((await connectly([])).code).toBe(2);
    expect((await connectly(['dance'])).stderr).toContain('unknown command "dance"');
    expect((await connectly(['send'])).stderr).toContain('send needs the message text');
    expect(await connectly(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('connectly chat') });
  });
});

describe('the connectly executable against a server that is not there', () => {
  // The command as a user runs it, in a process of its own: it must report the failure, not exit quietly
  // while the client waits to retry.
  function bin(args: string[]): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(__dirname, '..', 'dist', 'bin.js'), ...args],
        { env: { ...process.env, CONNECTLY_API_KEY: '', CONNECTLY_BASE_URL: '' }, timeout: 30_000 },
        (error, stdout, stderr) => {
          const failed = error as (Error & { code?: number | string; killed?: boolean }) | null;
          const code = failed ? (typeof failed.code === 'number' ? failed.code : null) : 0;
          resolve({ code, killed: failed?.killed ?? false, stdout, stderr });
        },
      );
    });
  }

  it.each([['health'], ['send', 'Hi']])('%s exits 1 with the connection error', async (...command) => {
    const mock = new MockConnectlyServer();
    const url = await mock.start();
    await mock.stop();
    const { code, killed, stdout, stderr } = await bin([...command, '--base-url', url]);
    expect(killed).toBe(false);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: .*ECONNREFUSED/m);
  });
});
