// The pull interfaces over a call's Observable: an AsyncIterable for `for await`, and a web ReadableStream.
// Both subscribe on first demand and unsubscribe when the consumer stops, which aborts the request.

import type { Observable, Subscription } from 'rxjs';

type Settled = { done: false; value: unknown } | { done: true; error?: { reason: unknown } };

/** A queue between a push source and one pulling consumer: values in order, then the end or the error. */
class Inbox<T> {
  private readonly items: Settled[] = [];
  private readonly waiting: ((item: Settled) => void)[] = [];

  push(item: Settled): void {
    const waiting = this.waiting.shift();
    if (waiting) waiting(item);
    else this.items.push(item);
  }

  take(): Promise<Settled> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  subscribeTo(source: Observable<T>): Subscription {
    return source.subscribe({
      next: (value) => this.push({ done: false, value }),
      error: (reason: unknown) => this.push({ done: true, error: { reason } }),
      complete: () => this.push({ done: true }),
    });
  }
}

/**
 * Each `for await` over the result subscribes once (one request), yields every value in order, throws the
 * call's error after the values that came before it, and unsubscribes on `break`, `return` or a throw.
 */
export function toAsyncIterable<T>(source: Observable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inbox = new Inbox<T>();
      let subscription: Subscription | undefined;
      let finished = false;
      const finish = (): void => {
        finished = true;
        subscription?.unsubscribe();
      };
      return {
        async next(): Promise<IteratorResult<T>> {
          if (finished) return { done: true, value: undefined };
          subscription ??= inbox.subscribeTo(source);
          const item = await inbox.take();
          if (!item.done) return { done: false, value: item.value as T };
          finish();
          if (item.error) throw item.error.reason;
          return { done: true, value: undefined };
        },
        async return(): Promise<IteratorResult<T>> {
          finish();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * A web `ReadableStream` of the call: the request starts at the first read, `cancel()` aborts it, and the
 * call's error errors the stream after the values that came before it.
 */
export function toReadableStream<T>(source: Observable<T>): ReadableStream<T> {
  let subscription: Subscription | undefined;
  return new ReadableStream<T>(
    {
      pull(controller) {
        subscription ??= source.subscribe({
          next: (value) => controller.enqueue(value),
          error: (reason: unknown) => controller.error(reason),
          complete: () => controller.close(),
        });
      },
      cancel() {
        subscription?.unsubscribe();
      },
    },
    { highWaterMark: 0 },
  );
}
