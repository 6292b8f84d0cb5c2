// A real n8n queue-mode cluster on 127.0.0.1 for the queue-mode suite and its bench: a private Redis and
// Postgres, `n8n start` (main) and `n8n worker` processes sharing one encryption key and user folder, with
// the packed package installed as a community package. Everything it starts, it stops.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, installCommunityPackage, installN8n, n8nEnvironment } from '../support/n8n';

const POSTGRES_ROOT = '/usr/lib/postgresql';
const ENCRYPTION_KEY = 'connectly-queue-encryption-key-0123456789';
const OWNER = { email: 'owner@example.com', firstName: 'Queue', lastName: 'Owner', password: 'Queue-mode-Passw0rd' };

export interface ClusterOptions {
  /** Workflows to import and publish (each with its own `id`). */
  workflows: object[];
  /**
   * n8n credentials to import: `[{ id, name, type, data }]`, data in plain text; a function is given the
   * cluster's own Redis and Postgres ports (for credentials of n8n's Redis and Postgres nodes).
   */
  credentials: object[] | ((ports: ClusterPorts) => object[]);
  /** How many `n8n worker` processes; default 2. */
  workers?: number;
  /** Jobs each worker runs at once (`n8n worker --concurrency`); default 10. */
  concurrency?: number;
  /**
   * How many `n8n webhook` processes beside main; default 0. Each serves the production webhooks on a port
   * of its own and puts their executions in the queue, as the processes behind a load balancer do.
   */
  webhookProcesses?: number;
  /** Data tables to create in the owner's project, where the imported workflows live. */
  dataTables?: DataTableDefinition[];
}

/** Where the cluster's own servers listen on 127.0.0.1 (Postgres: database and user `n8n`, no password). */
export interface ClusterPorts {
  redisPort: number;
  postgresPort: number;
}

export interface DataTableDefinition {
  name: string;
  columns: Array<{ name: string; type: 'string' | 'number' | 'boolean' | 'date' }>;
}

interface Logged {
  /** Everything the process wrote so far. */
  output(): string;
  /** Its JSON log lines, parsed. */
  entries(): Array<Record<string, unknown>>;
}

export interface Worker extends Logged {
  readonly name: string;
  /** Execution IDs this worker has started, from its log ("Worker started execution N"). */
  started(): string[];
  /** Kills the worker and its task runner at once (SIGKILL to its process group). */
  kill(): Promise<void>;
  /** Starts it again after `kill()`, with the same settings, and waits until it takes jobs. */
  restart(): Promise<void>;
}

export interface WebhookProcess extends Logged {
  readonly url: string;
}

export interface Cluster {
  /** The main process, e.g. `http://127.0.0.1:41234`: production webhooks live under `/webhook/`. */
  readonly base: string;
  /** Each `n8n webhook` process: its `url` (`http://127.0.0.1:<port>`) serves main's `/webhook/` paths. */
  readonly webhooks: WebhookProcess[];
  readonly workers: Worker[];
  readonly main: Logged;
  /** The Redis that carries the Bull queue (keys `bull:jobs:<job id>`). */
  readonly redisPort: number;
  /** Runs SQL on n8n's database and returns the rows, columns separated by `|`. */
  sql(query: string): string[][];
  /** Calls n8n's internal REST API on the main process as the instance owner. */
  rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** The id of each data table created from `dataTables`, by name (its rows are in `data_table_user_<id>`). */
  readonly dataTables: Record<string, string>;
  stop(): Promise<void>;
}

/** Debian's newest installed Postgres (`apt-get install postgresql`: 15 on bookworm). */
function postgresBin(): string {
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error(`no Postgres in ${POSTGRES_ROOT}: apt-get install -y postgresql`);
  return join(POSTGRES_ROOT, versions.at(-1) as string, 'bin');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `ready` every 250 ms until it holds, failing after `timeoutMs` with `what` and `detail()`. */
async function until(ready: () => Promise<boolean> | boolean, timeoutMs: number, what: string, detail = () => '') {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await pause(250);
  }
}

function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A process in its own process group, its output kept in a file, so it and its children stop together. */
class Managed {
  private child: ChildProcess | undefined;
  private readonly log: string;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
  ) {
    this.log = join(cwd, `${name}.log`);
  }

  start(): void {
    const out = createWriteStream(this.log, { flags: 'a' });
    this.child = spawn(this.command, this.args, {
      env: this.env,
      cwd: this.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(out);
    this.child.stderr?.pipe(out);
    // A missing binary (no redis-server) must fail the wait for it with this reason, not crash the run.
    this.child.once('error', (error) => out.write(`could not start ${this.command}: ${error.message}\n`));
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    try {
      return readFileSync(this.log, 'utf8');
    } catch {
      return '';
    }
  }

  entries(): Array<Record<string, unknown>> {
    return this.output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  tail(lines = 40): string {
    return `--- last lines of ${this.name}.log ---\n${this.output().split('\n').slice(-lines).join('\n')}`;
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        // The group is already gone.
      }
    };
    group(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      group('SIGKILL');
      await exited;
    }
    // A task runner left behind by a worker that exited first still belongs to the group.
    group('SIGKILL');
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const install = installN8n();
  const n8nBin = install.bin;
  const work = mkdtempSync(join(tmpdir(), 'connectly-n8n-queue-'));
  // Postgres refuses to run as root, and cannot enter `work` (mode 0700): its folder is its own.
  const pgDir = mkdtempSync(join(tmpdir(), 'connectly-n8n-queue-pg-'));
  const asRoot = process.getuid?.() === 0;
  const processes: Managed[] = [];
  let pgStarted = false;
  const [redisPort, pgPort, mainPort] = [await freePort(), await freePort(), await freePort()];

  const pgBin = postgresBin();
  const postgres = (tool: string, args: string[]) => {
    const bin = join(pgBin, tool);
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    return execFileSync(command, argv, { encoding: 'utf8', cwd: pgDir, timeout: 60_000 });
  };
  const sql = (query: string): string[][] =>
    postgres('psql', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'n8n', '-d', 'n8n', '-At', '-c', query])
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('|'));

  const stop = async () => {
    await Promise.all(processes.map((managed) => managed.stop()));
    if (pgStarted) {
      try {
        postgres('pg_ctl', ['-D', join(pgDir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
    }
    rmSync(work, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
  };

  try {
    const redis = new Managed(
      'redis',
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work],
      process.env,
      work,
    );
    processes.push(redis);
    redis.start();

    if (asRoot) {
      const [uid, gid] = ['-u', '-g'].map((flag) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })),
      );
      chownSync(pgDir, uid as number, gid as number);
    }
    postgres('initdb', ['-D', join(pgDir, 'data'), '-U', 'n8n', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    postgres('pg_ctl', [
      '-D',
      join(pgDir, 'data'),
      '-l',
      join(pgDir, 'postgres.log'),
      '-o',
      `-p ${pgPort} -k ${pgDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      '-w',
      'start',
    ]);
    pgStarted = true;
    postgres('createdb', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'n8n', 'n8n']);
    await until(
      () => redisAnswers(redisPort),
      20_000,
      'redis-server',
      () => redis.tail(),
    );

    const home = join(work, 'home');
    const env: NodeJS.ProcessEnv = {
      ...n8nEnvironment(install, home, ENCRYPTION_KEY),
      N8N_PORT: String(mainPort),
      // The address a trigger registers at Connectly: the mock delivers to it on 127.0.0.1.
      WEBHOOK_URL: `http://127.0.0.1:${mainPort}/`,
      N8N_LOG_FORMAT: 'json',
      N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
      DB_TYPE: 'postgresdb',
      DB_POSTGRESDB_HOST: '127.0.0.1',
      DB_POSTGRESDB_PORT: String(pgPort),
      DB_POSTGRESDB_DATABASE: 'n8n',
      DB_POSTGRESDB_USER: 'n8n',
      DB_POSTGRESDB_PASSWORD: '',
      EXECUTIONS_MODE: 'queue',
      QUEUE_BULL_REDIS_HOST: '127.0.0.1',
      QUEUE_BULL_REDIS_PORT: String(redisPort),
      // A killed worker's job is declared stalled after seconds instead of n8n's default minute and a half.
      QUEUE_WORKER_LOCK_DURATION: '6000',
      QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
      QUEUE_WORKER_STALLED_INTERVAL: '3000',
    };
    const cliEnv = { ...env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
    const n8n = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile(
          n8nBin,
          args,
          { env: cliEnv, cwd: work, timeout: 180_000, maxBuffer: 16 * 1048576 },
          (error, out, err) =>
            error ? reject(new Error(`n8n ${args.join(' ')} failed:\n${out}\n${err}`)) : resolve(`${out}\n${err}`),
        );
      });

    // Every process shares this user folder, so every process loads the package.
    installCommunityPackage(home, work, env);

    const credentials =
      typeof options.credentials === 'function'
        ? options.credentials({ redisPort, postgresPort: pgPort })
        : options.credentials;
    writeFileSync(join(work, 'credentials.json'), JSON.stringify(credentials));
    await n8n(['import:credentials', '--input=credentials.json']);
    writeFileSync(join(work, 'workflows.json'), JSON.stringify(options.workflows));
    await n8n(['import:workflow', '--input=workflows.json']);
    const ids = options.workflows.map((workflow) => (workflow as { id: string }).id);
    await Promise.all(ids.map((id) => n8n(['publish:workflow', `--id=${id}`])));

    const main = new Managed(
      'main',
      n8nBin,
      ['start'],
      { ...env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) },
      work,
    );
    processes.push(main);
    main.start();
    const base = `http://127.0.0.1:${mainPort}`;

    const workers: Worker[] = [];
    const readiness: Array<Promise<void>> = [];
    for (let index = 1; index <= (options.workers ?? 2); index += 1) {
      const healthPort = await freePort();
      const managed = new Managed(
        `worker-${index}`,
        n8nBin,
        ['worker', `--concurrency=${options.concurrency ?? 10}`],
        {
          ...env,
          N8N_RUNNERS_BROKER_PORT: String(await freePort()),
          QUEUE_HEALTH_CHECK_ACTIVE: 'true',
          QUEUE_HEALTH_CHECK_PORT: String(healthPort),
          N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
        },
        work,
      );
      processes.push(managed);
      const ready = async () => {
        await until(
          async () =>
            (await fetch(`http://127.0.0.1:${healthPort}/healthz/readiness`).catch(() => undefined))?.ok === true,
          120_000,
          `${managed.name} to be ready`,
          () => managed.tail(),
        );
      };
      managed.start();
      workers.push({
        name: managed.name,
        output: () => managed.output(),
        entries: () => managed.entries(),
        started: () =>
          managed
            .entries()
            .map((entry) => /^Worker started execution (\S+)/.exec(String(entry['message']))?.[1])
            .filter((id): id is string => id !== undefined),
        kill: () => managed.stop('SIGKILL', 5000),
        restart: async () => {
          managed.start();
          await ready();
        },
      });
      readiness.push(ready());
    }
    const webhooks: WebhookProcess[] = [];
    const servers: Array<readonly [string, Managed]> = [[base, main]];
    for (let index = 1; index <= (options.webhookProcesses ?? 0); index += 1) {
      const port = await freePort();
      const managed = new Managed(
        `webhook-${index}`,
        n8nBin,
        ['webhook'],
        { ...env, N8N_PORT: String(port), N8N_RUNNERS_BROKER_PORT: String(await freePort()) },
        work,
      );
      processes.push(managed);
      managed.start();
      const url = `http://127.0.0.1:${port}`;
      webhooks.push({ url, output: () => managed.output(), entries: () => managed.entries() });
      servers.push([url, managed]);
    }
    // Main and the workers boot side by side; every wait ends before a failure is reported.
    const failed = (await Promise.allSettled(readiness)).find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    // /healthz answers before production webhooks are registered. Probe with GET: once a POST webhook
    // exists, n8n answers "did you mean to make a POST request" instead of "not registered".
    const paths = options.workflows.flatMap((workflow) =>
      (workflow as { nodes: Array<{ type: string; parameters: { path?: string } }> }).nodes
        .filter((node) => node.type === 'n8n-nodes-base.webhook')
        .map((node) => node.parameters.path as string),
    );
    for (const [origin, server] of servers) {
      for (const path of paths) {
        await until(
          async () =>
            /POST request/i.test(
              await fetch(`${origin}/webhook/${path}`).then(
                (r) => r.text(),
                () => '',
              ),
            ),
          120_000,
          `${origin} to serve /webhook/${path}`,
          () => server.tail(),
        );
      }
    }

    const setup = await fetch(`${base}/rest/owner/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'browser-id': 'queue-suite' },
      body: JSON.stringify(OWNER),
    });
    if (!setup.ok) throw new Error(`owner setup failed: ${setup.status} ${await setup.text()}`);
    const cookie = (setup.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
    const rest = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}/rest${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'browser-id': 'queue-suite', cookie },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      return { status: response.status, body: parsed };
    };

    // Created as a user would, in the UI or through this API: n8n offers no CLI import for data tables.
    const dataTables: Record<string, string> = {};
    if (options.dataTables?.length) {
      const personal = await rest('GET', '/projects/personal');
      const projectId = (personal.body as { data: { id: string } }).data.id;
      for (const table of options.dataTables) {
        const created = await rest('POST', `/projects/${projectId}/data-tables`, table);
        if (created.status !== 200)
          throw new Error(`creating data table ${table.name} failed: ${JSON.stringify(created)}`);
        dataTables[table.name] = (created.body as { data: { id: string } }).data.id;
      }
    }

    return { base, webhooks, workers, main, redisPort, sql, rest, dataTables, stop };
  } catch (error) {
    const tails = processes.map((managed) => managed.tail()).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${tails}`);
  }
}
