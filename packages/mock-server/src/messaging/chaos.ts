// Chaos mode's lost answers: the receiver took a delivery and answered 200, but the answer never reached
// Connectly (a timeout, a reset connection), so the same delivery comes again on the next attempt. This is
// the redelivery a receiver must recognise as one it already handled; Connectly delivers at least once.

export interface DeliveryAttempt {
  /** The receiver's HTTP status; undefined when the request failed (refused, timed out, reset). */
  status: number | undefined;
  /** Why the request failed, when it did. */
  error?: string;
  /** The status the receiver really answered, when chaos mode lost that answer (`lostAnswerRate`). */
  answered?: number;
}

/** Checks the option once, when the chaos mode is set up. */
export function checkLostAnswerRate(options: { lostAnswerRate?: number }): number {
  const rate = options.lostAnswerRate ?? 0;
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(`chaos.lostAnswerRate must be a share from 0 to 1, got ${rate}`);
  }
  return rate;
}

/**
 * What the sender makes of one attempt: a 2xx answer is lost with probability `rate`. The random source is
 * drawn only when the rate is above 0, so seeded runs without this fault replay as before.
 */
export function loseAnswer(attempt: DeliveryAttempt, rate: number, random: () => number): DeliveryAttempt {
  const status = attempt.status ?? 0;
  if (rate <= 0 || status < 200 || status >= 300 || random() >= rate) return attempt;
  return { status: undefined, error: 'chaos: the answer was lost (counted as a timeout)', answered: status };
}
