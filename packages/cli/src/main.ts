// The `connectly` command: chat, send and health, against the real API or the embedded mock server.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type AgentEvent, type AgentSession, ConnectlyClient, ConnectlyError } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { firstValueFrom, lastValueFrom, tap } from 'rxjs';
import { renderEvent } from './render.js';

export interface Io {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

export const USAGE = `Usage:
  connectly chat   [--client-key KEY] [--agent-id ID] [--json]   talk to the agent; one line per turn, Ctrl+D to end
  connectly send TEXT [--session ID] [--client-key KEY] [--agent-id ID] [--json]   send one message, print the reply
  connectly health                                               is the API up? (exit 0 yes, 1 no)
  connectly --version

Environment:
  CONNECTLY_API_KEY       your API key
  CONNECTLY_BUSINESS_ID   your business ID (required with CONNECTLY_API_KEY)
  CONNECTLY_BASE_URL      default https://api.connectly.ai
With neither a key nor a base URL, an embedded mock Connectly server is started for the command. With a
base URL and no key, that server is used without a real key (a connectly-mock, or a proxy that adds it).

Options:
  --json          print every agent event as one JSON line (NDJSON) instead of text
  --base-url URL  overrides CONNECTLY_BASE_URL
  --pace MS       with the embedded mock: pause between streamed lines (default 0)
  -v, --version   the version of connectly-cli
  -h, --help      this help`;

/** The version of this package, read from its package.json (beside src/ and dist/ alike). */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The key sent when the user gave a base URL but no key: the server there decides whether it matters. */
const NO_KEY = 'no-key';
const DEMO_BUSINESS = 'demo-business';

class UsageError extends Error {
  /** `hint`: what to do instead, printed in place of the usage text when the explanation is enough. */
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface Target {
  client: ConnectlyClient;
  /** The embedded mock server, when the command started one: it lives and dies with the command. */
  mock: MockConnectlyServer | undefined;
}

async function connect(io: Io, baseUrlFlag: string | undefined, pace: number): Promise<Target> {
  const apiKey = io.env['CONNECTLY_API_KEY'];
  const baseUrl = baseUrlFlag || io.env['CONNECTLY_BASE_URL'] || undefined;
  const businessId = io.env['CONNECTLY_BUSINESS_ID'];
  if (apiKey) {
    if (!businessId) throw new UsageError('CONNECTLY_BUSINESS_ID is required when CONNECTLY_API_KEY is set');
    return { client: new ConnectlyClient({ apiKey, businessId, ...(baseUrl ? { baseUrl } : {}) }), mock: undefined };
  }
  if (baseUrl) {
    const client = new ConnectlyClient({ apiKey: NO_KEY, businessId: businessId || DEMO_BUSINESS, baseUrl });
    io.stderr.write(`No CONNECTLY_API_KEY set: talking to ${client.baseUrl} without a key\n`);
    return { client, mock: undefined };
  }
  const mock = new MockConnectlyServer({ pacingMs: pace });
  const url = await mock.start();
  io.stderr.write(`No CONNECTLY_API_KEY set: talking to the embedded mock Connectly server at ${url}\n`);
  return { client: new ConnectlyClient({ apiKey: NO_KEY, businessId: DEMO_BUSINESS, baseUrl: url }), mock };
}

function printer(io: Io, json: boolean): (event: AgentEvent) => void {
  return (event) => {
    if (json) io.stdout.write(`${JSON.stringify(event)}\n`);
    else for (const line of renderEvent(event)) io.stdout.write(`${line}\n`);
  };
}

async function chat(
  io: Io,
  target: Target,
  options: { clientKey: string; agentId?: string; json: boolean },
): Promise<number> {
  const session = target.client.session({
    clientKey: options.clientKey,
    ...(options.agentId ? { agentId: options.agentId } : {}),
  });
  const print = printer(io, options.json);
  const interactive = io.stdin.isTTY === true;
  const lines = createInterface({ input: io.stdin, terminal: false });
  const prompt = (): void => {
    if (interactive) io.stdout.write('you › ');
  };
  let failures = 0;
  prompt();
  try {
    for await (const raw of lines) {
      const text = raw.trim();
      if (text === '') {
        prompt();
        continue;
      }
      if (text === '/quit' || text === '/exit') break;
      if (!interactive && !options.json) io.stdout.write(`you › ${text}\n`);
      failures += await turn(io, session, text, print);
      if (!options.json) io.stdout.write('\n');
      prompt();
    }
  } finally {
    lines.close();
    await session.close().catch((error: unknown) => report(io, error));
  }
  if (session.sessionId && !options.json) io.stderr.write(`Session ${session.sessionId} closed.\n`);
  return failures > 0 ? 1 : 0;
}

async function turn(io: Io, session: AgentSession, text: string, print: (event: AgentEvent) => void): Promise<number> {
  try {
    await lastValueFrom(session.send(text).pipe(tap(print)), { defaultValue: undefined });
    return 0;
  } catch (error) {
    report(io, error);
    return 1;
  }
}

function report(io: Io, error: unknown): void {
  const message =
    error instanceof ConnectlyError ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  io.stderr.write(`error: ${message}\n`);
}

/** How to go on with the session `send` started: only servers that outlive the command keep it. */
function continuation(target: Target, sessionId: string | undefined, clientKey: string | undefined): string {
  if (target.mock)
    return (
      `Session ${sessionId} ended with the embedded mock server. For a conversation use \`connectly chat\`, ` +
      'or run `npx connectly-mock` and pass its URL with --base-url.'
    );
  const key = clientKey === undefined ? '' : ` --client-key ${clientKey}`;
  return `Session ${sessionId} (continue it with: connectly send "…" --session ${sessionId}${key})`;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        session: { type: 'string' },
        'client-key': { type: 'string' },
        'agent-id': { type: 'string' },
        'base-url': { type: 'string' },
        pace: { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    io.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  if (values.help || command === undefined || command === 'help') {
    (values.help || command === 'help' ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help || command === 'help' ? 0 : 2;
  }
  const pace = Number(values.pace);
  if (!(pace >= 0)) {
    io.stderr.write(`--pace must be a number of milliseconds ≥ 0\n`);
    return 2;
  }
  let target: Target | undefined;
  try {
    if (!['chat', 'send', 'health'].includes(command)) throw new UsageError(`unknown command "${command}"`);
    if (command === 'send' && rest.length === 0)
      throw new UsageError('send needs the message text: connectly send "Hi"');
    const embedded = !io.env['CONNECTLY_API_KEY'] && !values['base-url'] && !io.env['CONNECTLY_BASE_URL'];
    if (embedded && values.session)
      throw new UsageError(
        `--session ${values.session} cannot be continued here: the embedded mock server starts empty on every command.`,
        'Use `connectly chat` for a conversation, or run `npx connectly-mock` and pass its URL with --base-url.',
      );
    target = await connect(io, values['base-url'], pace);
    const clientKey = values['client-key'] ?? 'cli-user';
    const agentId = values['agent-id'];
    switch (command) {
      case 'chat':
        return await chat(io, target, { clientKey, json: values.json, ...(agentId ? { agentId } : {}) });
      case 'send': {
        const session = target.client.session({
          clientKey,
          ...(values.session ? { sessionId: values.session } : {}),
          ...(agentId ? { agentId } : {}),
        });
        await lastValueFrom(session.send(rest.join(' ')).pipe(tap(printer(io, values.json))), {
          defaultValue: undefined,
        });
        if (!values.session) io.stderr.write(`${continuation(target, session.sessionId, values['client-key'])}\n`);
        return 0;
      }
      default: {
        const { healthy } = await firstValueFrom(target.client.health({ clientKey }));
        const checked = target.mock ? 'the embedded mock server, not the Connectly API' : target.client.baseUrl;
        io.stdout.write(
          values.json
            ? `${JSON.stringify({ healthy, baseUrl: target.client.baseUrl, embeddedMock: target.mock !== undefined })}\n`
            : `${healthy ? 'healthy' : 'unhealthy'}: ${checked}\n`,
        );
        if (target.mock && !values.json)
          io.stderr.write('Set CONNECTLY_API_KEY and CONNECTLY_BUSINESS_ID to check the Connectly API.\n');
        return healthy ? 0 : 1;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        error.hint === undefined ? `${error.message}\n\n${USAGE}\n` : `${error.message}\n${error.hint}\n`,
      );
      return 2;
    }
    report(io, error);
    return 1;
  } finally {
    await target?.mock?.stop();
  }
}
