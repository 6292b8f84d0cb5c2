// The `connectly` command: chat, send and health, against the real API or the embedded mock server.

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

Environment:
  CONNECTLY_API_KEY       your API key; when unset, an embedded mock Connectly server is started
  CONNECTLY_BUSINESS_ID   your business ID (required with CONNECTLY_API_KEY)
  CONNECTLY_BASE_URL      default https://api.connectly.ai

Options:
  --json          print every agent event as one JSON line (NDJSON) instead of text
  --base-url URL  overrides CONNECTLY_BASE_URL
  --pace MS       with the embedded mock: pause between streamed lines (default 0)
  -h, --help      this help`;

class UsageError extends Error {}

interface Target {
  client: ConnectlyClient;
  mock: MockConnectlyServer | undefined;
}

async function connect(io: Io, baseUrl: string | undefined, pace: number): Promise<Target> {
  const apiKey = io.env['CONNECTLY_API_KEY'];
  if (apiKey) {
    const businessId = io.env['CONNECTLY_BUSINESS_ID'];
    if (!businessId) throw new UsageError('CONNECTLY_BUSINESS_ID is required when CONNECTLY_API_KEY is set');
    const url = baseUrl ?? io.env['CONNECTLY_BASE_URL'];
    return { client: new ConnectlyClient({ apiKey, businessId, ...(url ? { baseUrl: url } : {}) }), mock: undefined };
  }
  const mock = new MockConnectlyServer({ pacingMs: pace });
  const url = await mock.start();
  io.stderr.write(`No CONNECTLY_API_KEY set: talking to the embedded mock Connectly server at ${url}\n`);
  return { client: new ConnectlyClient({ apiKey: 'mock-key', businessId: 'demo-business', baseUrl: url }), mock };
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
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
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
        if (!values.session)
          io.stderr.write(`Session ${session.sessionId} (continue it with --session ${session.sessionId})\n`);
        return 0;
      }
      default: {
        const { healthy } = await firstValueFrom(target.client.health({ clientKey }));
        io.stdout.write(values.json ? `${JSON.stringify({ healthy })}\n` : `${healthy ? 'healthy' : 'unhealthy'}\n`);
        return healthy ? 0 : 1;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    report(io, error);
    return 1;
  } finally {
    await target?.mock?.stop();
  }
}
