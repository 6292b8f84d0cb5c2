// Types of customer-processes.cjs.
export interface CustomerSettings {
  baseUrl: string;
  redisUrl: string;
  prefix: string;
  clientKey: string;
  messages: string[];
  leaseMs?: number;
}
export type CustomerLine =
  | { type: 'ready'; pid: number }
  | { type: 'reply'; message: string; text: string; sessionId: string; ms: number }
  | { type: 'error'; message: string; error: string; detail: string };
export interface CustomerProcess {
  pid: number | undefined;
  lines: CustomerLine[];
  exited: Promise<number | string>;
  go(): void;
  kill(): void;
  until(predicate: (lines: CustomerLine[]) => boolean, timeoutMs?: number): Promise<CustomerLine[]>;
}
export function buildCustomerProcess(): Promise<{ file: string; dispose(): void }>;
export function startCustomer(file: string, settings: CustomerSettings): CustomerProcess;
