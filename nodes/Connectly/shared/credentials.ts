// The two Connectly credentials as a person meets them: one for the AI agent, one for WhatsApp messages.
// Their type names stay as saved workflows know them; what the editor shows is named here, once, and used
// by the credentials, the credential tests and every error that asks the user to fix one of them.
import type {
  ICredentialDataDecryptedObject,
  ICredentialsDecrypted,
  ICredentialTestFunctions,
  INode,
  INodeCredentialTestResult,
} from 'n8n-workflow';
import { API_PATH } from 'connectly-agent-graph/wire';

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

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'nothing answers at this address (connection refused)',
  ENOTFOUND: 'no server has this name (the host name is unknown)',
  EAI_AGAIN: 'the host name could not be looked up (DNS did not answer)',
  ETIMEDOUT: 'the server did not answer in time',
  ECONNRESET: 'the connection was cut',
  EHOSTUNREACH: 'the network cannot reach this server',
  ENETUNREACH: 'the network cannot reach this server',
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate cannot be verified",
};

/** The network error code of a failed request, wherever the request library put it. */
function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in UNREACHABLE) return code;
    current = (current as { cause?: unknown }).cause;
  }
  const message = error instanceof Error ? error.message : String(error);
  return Object.keys(UNREACHABLE).find((code) => message.includes(code));
}

interface TestCall {
  method: 'GET' | 'POST';
  path: string;
  body?: object;
  /** The message for each refusal status. */
  refusals: Record<number, string>;
}

type Data = ICredentialDataDecryptedObject & { apiKey?: string; businessId?: string; baseUrl?: string };

/** Runs one call with the credential's key, and says in words what went wrong. */
async function testCall(
  this: ICredentialTestFunctions,
  data: Data,
  call: TestCall,
): Promise<INodeCredentialTestResult> {
  const baseUrl = (typeof data.baseUrl === 'string' && data.baseUrl.trim() ? data.baseUrl : 'https://api.connectly.ai')
    .trim()
    .replace(/\/+$/, '');
  let response: { statusCode?: number };
  try {
    response = (await this.helpers.request({
      method: call.method,
      uri: `${baseUrl}${call.path}`,
      headers: { 'x-api-key': String(data.apiKey ?? '') },
      ...(call.body ? { body: call.body } : {}),
      json: true,
      simple: false,
      resolveWithFullResponse: true,
      // A redirect is refused, never followed with the key to wherever it points.
      followRedirect: false,
      followAllRedirects: false,
    })) as { statusCode?: number };
  } catch (error) {
    const code = networkCode(error);
    return {
      status: 'Error',
      message: code
        ? `n8n cannot reach Connectly at ${baseUrl}: ${UNREACHABLE[code]} (${code}). Check the Base URL (leave it as https://api.connectly.ai unless Connectly gave you another), and this n8n's network or proxy settings.`
        : `n8n cannot reach Connectly at ${baseUrl}. Check the Base URL and this n8n's network or proxy settings.`,
    };
  }
  const status = Number(response.statusCode);
  if (status >= 200 && status < 300) return { status: 'OK', message: 'Connection successful!' };
  if (status >= 300 && status < 400) {
    return {
      status: 'Error',
      message: `${baseUrl} answered with a redirect (HTTP ${status}), which is never followed with the key: enter the address it points at as the Base URL.`,
    };
  }
  return {
    status: 'Error',
    message:
      call.refusals[status] ??
      `Connectly answered HTTP ${status}: check the Base URL and try again later (this n8n could reach it).`,
  };
}

const agentRefusals = {
  401: `Connectly does not accept this ${AGENT_CREDENTIAL.key}: paste the key Connectly issued for your AI agent again, without spaces.`,
  403: `The ${AGENT_CREDENTIAL.key} is valid but not for this Business ID: use the Business ID Connectly issued together with this key.`,
};

/** The AI Agent credential's test: asks the AI agent API whether it is up, with the key and the Business ID. */
export async function testAgentCredential(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const data = (credential.data ?? {}) as Data;
  return await testCall.call(this, data, {
    method: 'POST',
    path: `${API_PATH}/health`,
    body: { businessId: data.businessId, clientKey: 'credential-check' },
    refusals: agentRefusals,
  });
}

/**
 * The WhatsApp Messaging credential's test: the Webhook Secret first (without it the Connectly Trigger can
 * verify no delivery), then listing the webhooks, which reads nothing private and proves the key and the
 * Business ID.
 */
export async function testMessagingCredential(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const data = (credential.data ?? {}) as Data & { webhookSecret?: string };
  if (typeof data.webhookSecret !== 'string' || data.webhookSecret.trim() === '') {
    return {
      status: 'Error',
      message:
        'Webhook Secret is empty: enter the secret Connectly signs your webhook deliveries with (ask your Connectly contact). Without it the Connectly Trigger cannot check that a message really comes from Connectly.',
    };
  }
  return await testCall.call(this, data, {
    method: 'GET',
    path: `/v1/businesses/${encodeURIComponent(String(data.businessId ?? ''))}/webhooks`,
    refusals: {
      401: `Connectly does not accept this ${MESSAGING_CREDENTIAL_NAMES.key}: paste your business's ${MESSAGING_CREDENTIAL_NAMES.key} again, without spaces (the ${AGENT_CREDENTIAL.key} cannot send WhatsApp messages).`,
      403: `The key is valid but may not send WhatsApp messages: ask Connectly for your business's ${MESSAGING_CREDENTIAL_NAMES.key} (the ${AGENT_CREDENTIAL.key} cannot).`,
      404: 'Connectly knows no business with this Business ID: use the one issued together with the key.',
    },
  });
}
