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
/** The settings of fixtures/claim-process.ts. */
export interface ClaimSettings {
  redisUrl: string;
  prefix: string;
  ids: string[];
  leaseMs: number;
  /** Keep the claims unfinished and the process running until it is killed. */
  stay?: boolean;
}
export type ClaimLine =
  { type: 'ready'; pid: number } | { type: 'claims'; claimed: string[] } | { type: 'error'; error: string };
export interface CustomerProcess<Line = CustomerLine> {
  pid: number | undefined;
  lines: Line[];
  exited: Promise<number | string>;
  go(): void;
  kill(): void;
  until(predicate: (lines: Line[]) => boolean, timeoutMs?: number): Promise<Line[]>;
}
/** Bundles `fixture` (a file of fixtures/, default the customer process) into one file. */
export function buildCustomerProcess(fixture?: string): Promise<{ file: string; dispose(): void }>;
export function startCustomer(file: string, settings: CustomerSettings): CustomerProcess;
/** Starts another bundled fixture with its own settings and lines. */
export function startProcess<Line>(file: string, settings: object): CustomerProcess<Line>;
