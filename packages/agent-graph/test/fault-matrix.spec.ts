// The fault matrix through the core's invoke(): every event before the fault, then one typed error.
import { firstValueFrom } from 'rxjs';
import { ConnectlyClient, ConnectlyValidationError, type InvokeRequest } from '../src/index.js';
import { BAD_INPUT, FAULT_MATRIX, baseUrlFor } from '../../../test/support/fault-matrix.js';
import { API_KEY, collectUntilError, useMockServer } from './helpers.js';

const h = useMockServer();

describe('fault matrix: the core invoke()', () => {
  it.each(FAULT_MATRIX.map((row) => [row.name, row] as const))(
    '%s',
    async (_, row) => {
      const sessionId = (await firstValueFrom(h.client.init({ clientKey: 'customer-1' }))).sessionId;
      if (row.fault) h.mock.inject({ ...row.fault });
      const client = new ConnectlyClient({
        apiKey: API_KEY,
        businessId: 'biz-1',
        baseUrl: await baseUrlFor(row.target ?? 'mock', h.mock.url),
        retryBaseDelayMs: 20,
        ...row.client,
      });
      const { values, error } = await collectUntilError(
        client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
      );
      expect(values).toHaveLength(row.delivered);
      if (row.error) {
        expect(error).toMatchObject({
          name: row.error.name,
          ...(row.error.status ? { status: row.error.status } : {}),
          ...(row.error.code ? { code: row.error.code } : {}),
        });
        expect((error as Error).message).toMatch(row.error.message);
      } else {
        expect(error).toBeUndefined();
      }
      if (row.invokes !== undefined)
        expect(h.mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(row.invokes);
    },
    15_000,
  );

  it.each(BAD_INPUT.map((row) => [row.name, row] as const))(
    'bad input: %s is refused through the Observable, before the network',
    async (_, row) => {
      const { values, error } = await collectUntilError(h.client.invoke(row.request as unknown as InvokeRequest));
      expect(values).toEqual([]);
      expect(error).toBeInstanceOf(ConnectlyValidationError);
      expect((error as Error).message).toMatch(row.message);
      expect(h.mock.requests).toHaveLength(0);
    },
  );

  it('bad input: a base URL that is not a URL is refused at construction', () => {
    expect(() => new ConnectlyClient({ apiKey: API_KEY, businessId: 'b', baseUrl: 'localhost:8080' })).toThrow(
      /`baseUrl` must start with http:\/\/ or https:\/\/, such as https:\/\/api.connectly.ai, got "localhost:8080"/,
    );
  });
});
