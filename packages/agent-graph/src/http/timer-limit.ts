// The longest delay a JavaScript timer can take, stated once for the core, the Nest module and the n8n
// node: Node (and browsers) fire a longer one after 1 ms instead.

/** The longest delay a timer can take, in ms (2^31 − 1, about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
