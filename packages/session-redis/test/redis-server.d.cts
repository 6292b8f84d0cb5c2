// Types of redis-server.cjs.
export interface RunningRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}
export function startRedis(timeoutMs?: number): Promise<RunningRedis>;
