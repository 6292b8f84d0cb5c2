// Types of redis-server.cjs.
export interface RunningRedis {
  url: string;
  port: number;
  /** Stops the server answering without closing a connection (SIGSTOP). */
  pause(): void;
  /** Lets a paused server answer again (SIGCONT). */
  resume(): void;
  stop(): Promise<void>;
}
export function startRedis(timeoutMs?: number): Promise<RunningRedis>;
