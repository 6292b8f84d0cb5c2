// What the conformance cases share: their context, and a wait.

import type { ConversationStore } from './store.js';

/** What each case gets: stores over one fresh namespace, and the suite's durations. */
export interface CaseContext {
  /** Opens a store over the case's namespace; each further call is another process's view of it. */
  store(): Promise<ConversationStore>;
  shortMs: number;
  racers: number;
}

export type CaseBody = (context: CaseContext) => Promise<void>;

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
