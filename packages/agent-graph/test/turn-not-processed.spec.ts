// turnNotProcessed: the rule that says whether what a failed turn carried may be sent again.
import {
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlySessionStoreError,
  ConnectlyTimeoutError,
  ConnectlyValidationError,
  turnNotProcessed,
} from '../src/index.js';

describe('turnNotProcessed', () => {
  it('is true only for failures that prove Connectly did not take the input', () => {
    const api = (status: number) => new ConnectlyApiError({ endpoint: 'invoke', status });
    const connection = (phase: 'connect' | 'response') => new ConnectlyConnectionError({ phase, message: 'x' });
    const store = (sent: boolean) => new ConnectlySessionStoreError({ operation: 'lock', sent, message: 'x' });
    expect(
      [new ConnectlyValidationError('inputEvents', 'x'), api(401), api(503), connection('connect'), store(false)].map(
        turnNotProcessed,
      ),
    ).toEqual([true, true, true, true, true]);
    expect(
      [
        api(200),
        api(500),
        api(502),
        api(504),
        connection('response'),
        store(true),
        new ConnectlyTimeoutError('invoke', 'headers', 1000),
        new Error('x'),
      ].map(turnNotProcessed),
    ).toEqual([false, false, false, false, false, false, false, false]);
  });
});
