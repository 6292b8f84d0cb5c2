// Runs the built chat example (dist/main.js) as its own process on 127.0.0.1 and stops it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..', '..');

export interface AppProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM (the app closes gracefully), then waits for the exit. */
  stop(): Promise<void>;
}

/** Starts the app with `env` added to this process's environment, on a free port. */
export async function startApp(env: NodeJS.ProcessEnv): Promise<AppProcess> {
  const child = spawn(process.execPath, [join(root, 'examples/nest-chat/dist/main.js')], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the example app did not start')), 20_000);
    child.stdout!.on('data', (data: Buffer) => {
      const match = /Chat example listening on (http:\/\/\S+)/.exec(data.toString());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
