// The views of one streamed turn, written once: a surface that sends a turn as an Observable of events
// (the client's invoke, a session's send, the Nest service) extends TurnViews and gets `stream` (for
// `for await`), `readableStream` (a web ReadableStream) and `reply` (the whole reply as a Promise).

import { type Observable, lastValueFrom } from 'rxjs';
import type { AgentEvent } from '../wire/events.js';
import { toAsyncIterable, toReadableStream } from './iterate.js';
import { toReply } from './operators.js';
import type { AgentReply } from './reply.js';

/** `stream`, `readableStream` and `reply` over the surface's own streamed turn (`turnEvents`). */
export abstract class TurnViews<Input, Options> {
  /** The turn as a cold Observable of the reply's events: what every view subscribes to. */
  protected abstract turnEvents(input: Input, options?: Options): Observable<AgentEvent>;

  /** The turn as an AsyncIterable: `for await (const event of …)`; `break` aborts it, errors are thrown after the events before them. */
  stream(input: Input, options?: Options): AsyncIterable<AgentEvent> {
    return toAsyncIterable(this.turnEvents(input, options));
  }

  /** The turn as a web `ReadableStream` of the reply's events: the first read sends it, `cancel()` aborts it. */
  readableStream(input: Input, options?: Options): ReadableStream<AgentEvent> {
    return toReadableStream(this.turnEvents(input, options));
  }

  /** The turn gathered into one `AgentReply`. */
  reply(input: Input, options?: Options): Promise<AgentReply> {
    return lastValueFrom(this.turnEvents(input, options).pipe(toReply()));
  }
}
