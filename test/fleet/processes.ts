// The fleet's moving parts, each bounded and stoppable: a redis-server that can be restarted on its port,
// replicas of the WhatsApp example as child processes, and an HTTP forwarder (round-robin over its targets)
// used both as the load balancer in front of the replicas and as each replica's tap on the mock.

import { type ChildProcess, spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { type AddressInfo, type Socket, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOST = '127.0.0.1';

// Whatever ends this process (a failure, a test timeout), the servers it started do not outlive it.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Waits for `done()` to hold, checking every 20 ms; throws `what` once `timeoutMs` has passed. */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`fleet: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Resolves with the first record, among `records` so far or emitted as `event` from now on, that `matches`;
 * rejects after `timeoutMs`. Listens instead of polling: the records grow to thousands in a run.
 */
export function seen<T>(
  emitter: EventEmitter,
  event: string,
  records: readonly T[],
  matches: (record: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const found = records.find(matches);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const check = (record: T): void => {
      if (!matches(record)) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve(record);
    };
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`fleet: no matching "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, check);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// True once something accepts a TCP connection on the port (and answers PING with +PONG, for Redis).
function answers(port: number, ping: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => (ping ? socket.write('PING\r\n') : done(true)));
    socket.once('data', (data) => done(String(data).startsWith('+PONG')));
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it exited. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * One redis-server on a fixed loopback port, with the append-only file on (fsync on every write): a restart
 * on the same port finds its data again, as a production Redis with persistence does. The run tests the
 * loop across a Redis that goes away and comes back, not across one that forgets: no store can keep
 * delivery claims or holds through a restart that drops them, so that would measure Redis's settings.
 */
export class FleetRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'connectly-fleet-redis-'));
  private output = '';

  private constructor(readonly port: number) {}

  static async start(): Promise<FleetRedis> {
    const redis = new FleetRedis(await freePort());
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  /** Stops the server (it writes its append-only file) and starts it again on the same port. */
  async restart(): Promise<void> {
    if (this.child) await stopChild(this.child, 5000);
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 5000);
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', HOST, '--dir', this.dir, '--save', ''];
    const child = track(
      spawn(process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server', [
        ...args,
        ...['--appendonly', 'yes', '--appendfsync', 'always', '--loglevel', 'warning'],
      ]),
    );
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + String(chunk)).slice(-4000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + String(chunk)).slice(-4000)));
    child.once('error', (error) => (this.output += `\ncannot run redis-server: ${error.message}`));
    try {
      await until(() => child.exitCode === null && answers(this.port, true), 10_000, 'redis-server to answer PING');
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; its output: ${this.output || '(none)'}`);
    }
  }
}

/** One replica of the WhatsApp example (`examples/nest-whatsapp/dist/main.js`) as a child process. */
export class Replica {
  private child: ChildProcess | undefined;
  private output = '';
  /** How many times it was killed with SIGKILL. */
  kills = 0;
  /** The error lines it logged (Nest's `ERROR` level), for the report. */
  readonly errors: string[] = [];
  /** The warning lines it logged (Nest's `WARN` level), for the report. */
  readonly warnings: string[] = [];

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly main: string,
    private readonly env: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines it wrote, for a failure's message. */
  get log(): string {
    return this.output;
  }

  /** Starts it and resolves once it listens (bounded). */
  async start(): Promise<void> {
    const child = track(
      spawn(process.execPath, [this.main], {
        env: { ...this.env, PORT: String(this.port), HOST },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    const logDir = process.env['FLEET_LOG_DIR'];
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + String(chunk)).slice(-8000);
      if (logDir) appendFileSync(join(logDir, `${this.name}.log`), String(chunk));
      for (const line of String(chunk).split('\n')) {
        // eslint-disable-next-line no-control-regex
        const plain = (): string => line.replace(/\u001b\[[0-9;]*m/g, '').trim();
        if (/\bERROR\b/.test(line)) this.errors.push(plain());
        else if (/\bWARN\b/.test(line)) this.warnings.push(plain());
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await until(
        () => {
          if (child.exitCode !== null) throw new Error(`replica ${this.name} exited with ${child.exitCode}`);
          return answers(this.port, false);
        },
        30_000,
        `replica ${this.name} to listen on ${this.port}`,
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; its output: ${this.output}`);
    }
  }

  /** Kills it at once, as a crash or an OOM kill does: no shutdown hook runs. */
  kill(): void {
    if (!this.running) return;
    this.kills += 1;
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 5000);
  }
}

/** What a forwarder saw: one request it passed on, when it passed it on and again when it was answered. */
export interface Forwarded {
  method: string;
  path: string;
  body: string;
  target: number;
  /** When it went out to the target. */
  at: number;
  /** When the target answered (or failed). */
  answeredAt?: number;
  /** The target's status (502 when it failed, 504 when it took too long); undefined as the request goes out. */
  status?: number;
}

/**
 * An HTTP forwarder on loopback: each request goes to the next target port in turn (round-robin); a target
 * that refuses the connection passes it to the next, one that fails answers 502, and one that takes longer
 * than `timeoutMs` 504, as a load balancer does.
 * `onRequest` hears of each request as it goes out and once it is answered (with its status).
 */
export class Forwarder {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private next = 0;
  port = 0;

  constructor(
    private readonly targets: number[],
    private readonly onRequest: (request: Forwarded) => void = () => undefined,
    private readonly timeoutMs = 15_000,
  ) {
    this.server = createServer((req, res) => void this.forward(req, res).catch(() => res.destroy()));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://${HOST}:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, HOST, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.pass(req, res, Buffer.concat(chunks), this.targets.length);
  }

  // A target that refuses the connection got nothing: the next one is tried at once (as nginx's
  // `proxy_next_upstream error` does), up to every target once; any other failure is the client's to retry.
  private pass(req: IncomingMessage, res: ServerResponse, body: Buffer, triesLeft: number): void {
    const target = this.targets[this.next % this.targets.length] as number;
    this.next += 1;
    const seen = { method: req.method ?? 'GET', path: req.url ?? '/', body: String(body), target, at: Date.now() };
    this.onRequest(seen);
    const answered = (status: number): void => this.onRequest({ ...seen, answeredAt: Date.now(), status });
    const headers = { ...req.headers, host: `${HOST}:${target}` };
    const upstream = request({ host: HOST, port: target, method: req.method, path: req.url, headers });
    upstream.setTimeout(this.timeoutMs, () => {
      upstream.destroy();
      if (res.headersSent) return;
      res.writeHead(504).end();
      answered(504);
    });
    upstream.once('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answered(answer.statusCode ?? 502);
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      answered(502);
      if (error.code === 'ECONNREFUSED' && triesLeft > 1) return this.pass(req, res, body, triesLeft - 1);
      res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  }
}
