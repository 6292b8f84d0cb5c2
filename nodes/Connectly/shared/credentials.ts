// The two Connectly credentials as a person meets them: one for the AI agent, one for WhatsApp messages.
// Their type names stay as saved workflows know them; what the editor shows is named here, once, and used
// by the credentials, their tests and every error that asks the user to fix one of them.
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions, INode } from 'n8n-workflow';

export const AGENT_CREDENTIAL = {
  type: 'connectlyApi',
  displayName: 'Connectly AI Agent API',
  key: 'AI Agent Key',
} as const;

export const MESSAGING_CREDENTIAL_NAMES = {
  type: 'connectlyMessagingApi',
  displayName: 'Connectly WhatsApp Messaging API',
  key: 'Messaging Key',
} as const;

type CredentialNames = typeof AGENT_CREDENTIAL | typeof MESSAGING_CREDENTIAL_NAMES;

/** How a credential is named to the user: the name it was saved under in n8n, and its kind. */
export function credentialLabel(node: INode, names: CredentialNames): string {
  const saved = node.credentials?.[names.type]?.name;
  return saved ? `the "${saved}" credential (${names.displayName})` : `the ${names.displayName} credential`;
}

/** What to do when Connectly refuses a key: the credential to open and the field to fix. */
export function keyRefusedDescription(node: INode, names: CredentialNames, status: number): string {
  const where = credentialLabel(node, names);
  if (status === 403) {
    return `Connectly accepts the ${names.key} but not for this Business ID: open ${where} and enter the Business ID that Connectly issued together with the key.`;
  }
  return `Connectly does not accept the ${names.key}: open ${where} and paste the ${names.key} again, as Connectly issued it, without spaces.`;
}

/** Marks the WhatsApp Messaging credential's test request, so that only the test insists on the Webhook Secret. */
export const CREDENTIAL_TEST_HEADER = 'x-connectly-credential-test';

export const MISSING_SECRET_MESSAGE =
  'Webhook Secret is empty: enter the secret Connectly signs your webhook deliveries with (ask your Connectly contact). Without it the Connectly Trigger cannot check that a message really comes from Connectly.';

/**
 * Adds the Messaging Key to a request, as the x-api-key header. The credential's test fails here when the
 * Webhook Secret is empty: a test answer of "Connection successful" would hide that the Connectly Trigger
 * cannot verify any delivery. Other requests (sending a message) go out without it, as before.
 */
export async function authenticateMessaging(
  credentials: ICredentialDataDecryptedObject,
  requestOptions: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
  const headers: IDataObject = { ...(requestOptions.headers ?? {}) };
  const testing = Object.keys(headers).some((name) => name.toLowerCase() === CREDENTIAL_TEST_HEADER);
  for (const name of Object.keys(headers)) if (name.toLowerCase() === CREDENTIAL_TEST_HEADER) delete headers[name];
  const secret = credentials['webhookSecret'];
  if (testing && (typeof secret !== 'string' || secret.trim() === '')) throw new Error(MISSING_SECRET_MESSAGE);
  headers['x-api-key'] = String(credentials['apiKey'] ?? '');
  return { ...requestOptions, headers };
}

/** What the Base URL field says about the errors n8n shows as bare codes when it cannot reach the address. */
export const BASE_URL_HINT =
  "Leave as it is, unless Connectly gave you another address (a test server or a proxy); the key is sent only to this address. If the test says ECONNREFUSED (nothing answers there), ENOTFOUND (no server has that name) or ETIMEDOUT (no answer in time), n8n cannot reach this address: check it, and this n8n's network or proxy settings.";
