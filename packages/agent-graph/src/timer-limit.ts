// The longest wait a timer can take, for every time limit, back-off and keep-alive of every package.

/**
 * The longest delay, in ms, a timer can take (2^31 − 1, about 24.8 days): Node, browsers and n8n fire a
 * longer one after 1 ms instead, so every time option is checked against this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
