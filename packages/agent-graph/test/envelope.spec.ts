// The envelope rules on their own: what a line or a body wraps around the events or an error.
import { ConnectlyApiError, ConnectlyProtocolError } from '../src/errors/errors.js';
import { parseUnary, readEnvelope, readErrorBody, toRpcStatus } from '../src/decoding/envelope.js';

const keep = (text: string) => text;
const hide = (text: string) => text.split('secret-key').join('[redacted]');

describe('readEnvelope', () => {
  const events = [{ messageEvent: {} }];

  it.each([
    ['the wire format', { result: { response: { sessionId: 's', responseEvents: events } } }],
    ['a bare response', { response: { sessionId: 's', responseEvents: events } }],
    ['a bare response object', { sessionId: 's', responseEvents: events }],
  ])('reads %s', (_, value) => {
    expect(readEnvelope(value)).toEqual({ kind: 'response', response: { sessionId: 's', responseEvents: events } });
  });

  it('reads a bare response event as a response holding it', () => {
    expect(readEnvelope({ messageEvent: {} })).toEqual({ kind: 'response', response: { responseEvents: events } });
  });

  it('reads close\'s empty result, with or without "error": null', () => {
    expect(readEnvelope({ result: { response: {} }, error: null })).toEqual({ kind: 'response', response: {} });
    expect(readEnvelope({ result: {} })).toEqual({ kind: 'response', response: {} });
  });

  it('reads an error, which wins over a result beside it', () => {
    expect(readEnvelope({ result: { response: {} }, error: { code: 9, message: 'closed' } })).toEqual({
      kind: 'error',
      error: { code: 9, message: 'closed' },
    });
    expect(readEnvelope({ error: 'plain text' })).toEqual({ kind: 'error', error: { message: 'plain text' } });
  });

  it.each([
    ['a value that is not an object', [1], 'a line must be a JSON object'],
    ['a result that is not an object', { result: 5 }, '"result" must be an object'],
    ['a response that is not an object', { response: 'x' }, '"response" must be an object'],
    ['responseEvents that is not an array', { response: { responseEvents: {} } }, '"responseEvents" must be an array'],
  ])('calls %s unexpected', (_, value, why) => {
    expect(readEnvelope(value)).toEqual({ kind: 'unexpected', why });
  });
});

describe('toRpcStatus', () => {
  it('keeps a numeric code, a code in digits, the message and the details', () => {
    expect(toRpcStatus({ code: '5', message: 'gone', details: [{ '@type': 't' }] })).toEqual({
      code: 5,
      message: 'gone',
      details: [{ '@type': 't' }],
    });
  });

  it('drops what is not a status field of the right type', () => {
    expect(toRpcStatus({ code: 'five', message: 7, details: 'x' })).toEqual({});
    expect(toRpcStatus(42)).toEqual({ message: '42' });
  });
});

describe('readErrorBody', () => {
  it('reads a bare status, an {"error":…} wrapper and an NDJSON error line after a keep-alive', () => {
    expect(readErrorBody('{"code":16,"message":"no key"}', 401)).toEqual({ code: 16, message: 'no key' });
    expect(readErrorBody('{"error":{"code":8,"message":"slow down"}}', 429)).toEqual({ code: 8, message: 'slow down' });
    expect(readErrorBody('\r\n \n{"error":{"code":14}}\n{"ignored":true}\n', 503)).toEqual({ code: 14 });
  });

  it('describes a body that is not a Connectly error, and an empty one', () => {
    expect(readErrorBody('<html>\n<h1>502</h1></html>', 502).message).toBe(
      'the server answered HTTP 502 with a body that is not a Connectly error: "<html> <h1>502</h1></html>"',
    );
    expect(readErrorBody(' \n', 504).message).toBe('the server answered HTTP 504 with an empty body');
  });
});

describe('parseUnary', () => {
  it('returns the response inside the envelope and the JSON it came from', () => {
    const answer = parseUnary('{"response":{"sessionId":"s"}}', 'init', 200, false, keep);
    expect(answer).toEqual({ value: { response: { sessionId: 's' } }, response: { sessionId: 's' } });
  });

  it("reads only the first line that is not a keep-alive for close's NDJSON answer", () => {
    const answer = parseUnary('\n \r\n{"result":{"response":{}}}\r\n{"other":1}\n', 'close', 200, true, keep);
    expect(answer.response).toEqual({});
  });

  it('turns an error envelope into a ConnectlyApiError with the HTTP status', () => {
    const attempt = () => parseUnary('{"error":{"code":9,"message":"closed"}}', 'close', 200, false, keep);
    expect(attempt).toThrow(ConnectlyApiError);
    expect(attempt).toThrow(/close failed \(in the response stream, FAILED_PRECONDITION\): closed/);
  });

  it('calls a body that is not JSON a protocol error, with the key removed from its preview', () => {
    try {
      parseUnary('oops secret-key', 'health', 200, false, hide);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectlyProtocolError);
      expect(error).toMatchObject({ reason: 'malformed-body', preview: 'oops [redacted]' });
    }
  });

  it('calls JSON of the wrong shape a protocol error', () => {
    expect(() => parseUnary('[1,2]', 'health', 200, false, keep)).toThrow(
      /health response is not in the Agent Graph format: a line must be a JSON object/,
    );
  });
});
