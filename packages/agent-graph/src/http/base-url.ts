// The API address every client sends to: checked before any request (http or https, no credentials in it,
// no query or fragment) and kept without a trailing slash. The key is never shown in the refusal.

import { ConnectlyValidationError } from '../errors/errors.js';
import { redact, safeExcerpt } from '../errors/redaction.js';
import { requireString } from '../decoding/validate.js';

export const DEFAULT_BASE_URL = 'https://api.connectly.ai';

// What a refused base URL looks like in the message: never the key, never a password.
function shown(text: string, apiKey: string): string {
  return safeExcerpt(text.replace(/\/\/[^/@]*@/, '//…@'), (part) => redact(part, apiKey), 60);
}

/**
 * The API address as the clients use it: checked (http or https, no user name or password, no query or
 * fragment) and without a trailing slash; `DEFAULT_BASE_URL` when none is given. A bad one throws
 * ConnectlyValidationError; `apiKey`, when given, is kept out of that error's message.
 */
export function normalizeBaseUrl(baseUrl?: string, apiKey = ''): string {
  return checkBaseUrl(baseUrl, apiKey);
}

export function checkBaseUrl(value: unknown, apiKey: string): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  const text = requireString(value, 'baseUrl', `the API address, e.g. ${DEFAULT_BASE_URL}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^[a-z]+:\/\/[^/:?#]+:(\d+)(?:[/?#]|$)/i.exec(text)?.[1];
    if (port !== undefined && Number(port) > 65535)
      throw new ConnectlyValidationError('baseUrl', `The port in \`baseUrl\` must be 1–65535, got ${port}`);
    throw new ConnectlyValidationError(
      'baseUrl',
      `\`baseUrl\` must be an http(s) URL such as ${DEFAULT_BASE_URL}, got "${shown(text, apiKey)}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectlyValidationError(
      'baseUrl',
      `\`baseUrl\` must start with http:// or https://, such as ${DEFAULT_BASE_URL}, got "${shown(text, apiKey)}"`,
    );
  }
  if (url.username || url.password) {
    throw new ConnectlyValidationError(
      'baseUrl',
      '`baseUrl` must not hold a user name or password (http://user:pass@host): the API key, sent as x-api-key, is the only credential',
    );
  }
  if (url.href.includes('?') || url.href.includes('#')) {
    throw new ConnectlyValidationError('baseUrl', '`baseUrl` must not have a query string or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}
