// The trigger's webhook registrations at Connectly, as n8n drives them on activation and deactivation:
// Connectly holds one address per topic per business. Activating refuses to take a topic away from another
// address unless the trigger's Take Over option says so; a topic taken over is remembered (its address and
// its configuration) and given back exactly so on deactivation, or removed when it was free. A registration
// that no longer points at this workflow is never touched.
import type { IDataObject, IHookFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import {
  ConnectlyError,
  ConnectlyMessagingError,
  type ConnectlyMessagingClient,
  type WebhookConfiguration,
  type WebhookRegistration,
  type WebhookTopic,
} from 'connectly-agent-graph';
import {
  type ConnectlyMessagingCredentials,
  MESSAGING_CREDENTIAL,
  messagingClient,
} from '../Connectly/shared/messaging-transport';
import { credentialLabel, keyRefusedDescription, MESSAGING_CREDENTIAL_NAMES } from '../Connectly/shared/credentials';

/** What the node keeps in its static data between activation and deactivation. */
interface Registered extends IDataObject {
  /** The registration id per topic. */
  webhookIds?: Record<string, string>;
  /** Per topic, the registration that held it before this workflow took it over: address and configuration. */
  previousRegistrations?: Record<string, Previous>;
  /** Per topic, the address alone, as versions before the configuration was remembered kept it. */
  previousAddresses?: Record<string, string>;
}

interface Previous extends IDataObject {
  address: string;
  configuration: IDataObject;
}

/** What was there before, from the static data of this version or of an earlier one. */
function previousOf(state: Registered): Record<string, Previous> {
  const previous: Record<string, Previous> = {};
  for (const [topic, address] of Object.entries(state.previousAddresses ?? {})) {
    previous[topic] = { address, configuration: {} };
  }
  return { ...previous, ...(state.previousRegistrations ?? {}) };
}

/** The topics the trigger listens to, with the configuration each needs. */
function wanted(this: IHookFunctions): Array<{ topic: WebhookTopic; configuration: WebhookConfiguration }> {
  // Echoes tell the workflow what a person sent from Connectly's inbox, and let it ignore its own sends.
  const topics: Array<{ topic: WebhookTopic; configuration: WebhookConfiguration }> = [
    { topic: 'messages', configuration: { echo: true } },
  ];
  if (this.getNodeParameter('deliveryStatuses', false) === true) {
    topics.push({ topic: 'delivery_status', configuration: {} });
  }
  return topics;
}

const TOPICS: WebhookTopic[] = ['messages', 'delivery_status'];

function ownUrl(this: IHookFunctions): string {
  const url = this.getNodeWebhookUrl('default');
  if (!url) throw new NodeOperationError(this.getNode(), 'n8n gave this trigger no webhook address');
  return url;
}

function apiError(this: IHookFunctions, error: unknown, doing: string): Error {
  if (!(error instanceof ConnectlyError)) return error as Error;
  const status = error instanceof ConnectlyMessagingError ? error.status : undefined;
  const description =
    status === 400
      ? `Connectly refused the address ${this.getNodeWebhookUrl('default') ?? ''}: it must be a public https address. Set n8n's WEBHOOK_URL to the public address of this n8n.`
      : status === 401 || status === 403
        ? keyRefusedDescription(this.getNode(), MESSAGING_CREDENTIAL_NAMES, status)
        : status === 404
          ? `Open ${credentialLabel(this.getNode(), MESSAGING_CREDENTIAL_NAMES)} and check its Business ID`
          : undefined;
  return new NodeApiError(
    this.getNode(),
    { message: error.message, ...(status ? { httpCode: String(status) } : {}) },
    { message: `Could not ${doing}: ${error.message}`, ...(description ? { description } : {}) },
  );
}

async function client(this: IHookFunctions): Promise<ConnectlyMessagingClient> {
  return await messagingClient.call(this);
}

async function list(this: IHookFunctions, connectly: ConnectlyMessagingClient): Promise<WebhookRegistration[]> {
  try {
    return await connectly.listWebhooks();
  } catch (error) {
    throw apiError.call(this, error, "list the business's Connectly webhooks");
  }
}

/** A trigger that would accept every delivery, or none, must not be activated: the secret comes first. */
async function requireSecret(this: IHookFunctions): Promise<void> {
  const credentials = await this.getCredentials<ConnectlyMessagingCredentials>(MESSAGING_CREDENTIAL);
  if (typeof credentials.webhookSecret !== 'string' || credentials.webhookSecret === '') {
    throw new NodeOperationError(
      this.getNode(),
      `The Webhook Secret of ${credentialLabel(this.getNode(), MESSAGING_CREDENTIAL_NAMES)} is empty`,
      {
        description:
          'The trigger accepts only deliveries signed with the webhook secret Connectly holds for your business: ask your Connectly contact for it and enter it in the credential',
      },
    );
  }
}

/** n8n asks this first: true when every topic the trigger needs is already delivered here, as it needs. */
export async function checkExists(this: IHookFunctions): Promise<boolean> {
  await requireSecret.call(this);
  const url = ownUrl.call(this);
  const hooks = await list.call(this, await client.call(this));
  const needed = wanted.call(this);
  const neededTopics = new Set<string>(needed.map((w) => w.topic));
  const state = this.getWorkflowStaticData('node') as Registered;
  const ids: Record<string, string> = {};
  for (const { topic, configuration } of needed) {
    const hook = hooks.find((h) => h.topic === topic);
    if (!hook || hook.address !== url) return false;
    if (configuration.echo === true && hook.configuration?.echo !== true) return false;
    ids[topic] = hook.id;
  }
  // A topic no longer wanted but still delivered here is cleaned up by create().
  if (hooks.some((h) => !neededTopics.has(h.topic) && TOPICS.includes(h.topic as WebhookTopic) && h.address === url)) {
    return false;
  }
  state.webhookIds = ids;
  return true;
}

/** Points every topic the trigger needs at this workflow; takes one over from another address only when told to. */
export async function create(this: IHookFunctions): Promise<boolean> {
  await requireSecret.call(this);
  const url = ownUrl.call(this);
  const connectly = await client.call(this);
  const hooks = await list.call(this, connectly);
  const needed = wanted.call(this);
  const takeOver = this.getNodeParameter('takeOver', false) === true;
  const state = this.getWorkflowStaticData('node') as Registered;
  const ids: Record<string, string> = { ...(state.webhookIds ?? {}) };
  const previous = previousOf(state);
  const held = needed
    .map(({ topic }) => hooks.find((h) => h.topic === topic))
    .filter((hook): hook is WebhookRegistration => hook !== undefined && hook.address !== url);
  // Refused before anything changes: another system's registration is never moved silently.
  const first = held[0];
  if (first && !takeOver) {
    throw new NodeOperationError(
      this.getNode(),
      `Your business's Connectly ${first.topic === 'messages' ? 'messages' : `"${first.topic}" reports`} already go to ${first.address}: to move them here, turn on "Take Over From Another Address" in the Connectly Trigger`,
      {
        description: `Connectly sends them to one address only, and publishing this workflow would take them away from ${first.address}. To let this workflow have them until it is unpublished (they then go back to ${first.address}, set up as they were), turn on "Take Over From Another Address" in the Connectly Trigger. Otherwise leave that address as it is, or remove it at Connectly first.`,
      },
    );
  }
  for (const hook of held) {
    previous[hook.topic] = { address: hook.address, configuration: (hook.configuration ?? {}) as IDataObject };
    this.logger.warn(
      `Connectly Trigger: the business's "${hook.topic}" webhook pointed at ${hook.address}; it now points at this workflow (${url}) until the workflow is deactivated`,
    );
  }
  for (const { topic, configuration } of needed) {
    try {
      ids[topic] = (await connectly.ensureWebhook({ topic, address: url, configuration })).id;
    } catch (error) {
      throw apiError.call(this, error, `register the "${topic}" webhook at Connectly`);
    }
  }
  for (const hook of hooks) {
    if (needed.some((w) => w.topic === hook.topic) || hook.address !== url) continue;
    if (!TOPICS.includes(hook.topic as WebhookTopic)) continue;
    await release.call(this, connectly, hook, previous);
    delete ids[hook.topic];
  }
  state.webhookIds = ids;
  state.previousRegistrations = previous;
  delete state.previousAddresses;
  return true;
}

/**
 * Gives a topic back to the registration that held it before this workflow, as it was (address and
 * configuration), or removes its registration.
 */
async function release(
  this: IHookFunctions,
  connectly: ConnectlyMessagingClient,
  hook: WebhookRegistration,
  previous: Record<string, Previous>,
): Promise<void> {
  const before = previous[hook.topic];
  delete previous[hook.topic];
  try {
    if (before && before.address !== hook.address) {
      // Connectly overwrites the configuration fields an update sends and keeps the others: every field this
      // workflow set is sent back as it was. [INFERRED] A registration without `echo` delivers no echoes.
      const configuration: WebhookConfiguration = { ...before.configuration };
      if (!('echo' in configuration)) configuration.echo = false;
      await connectly.updateWebhook(hook.id, { address: before.address, configuration });
    } else await connectly.deleteWebhook(hook.id);
  } catch (error) {
    // Removed by someone else in the meantime: nothing is left to release.
    if (error instanceof ConnectlyMessagingError && error.status === 404) return;
    throw apiError.call(this, error, `remove the "${hook.topic}" webhook at Connectly`);
  }
}

/** On deactivation: releases what still points at this workflow, and never a registration pointing elsewhere. */
export async function remove(this: IHookFunctions): Promise<boolean> {
  const url = ownUrl.call(this);
  const connectly = await client.call(this);
  const state = this.getWorkflowStaticData('node') as Registered;
  const previous = previousOf(state);
  for (const hook of await list.call(this, connectly)) {
    if (hook.address !== url || !TOPICS.includes(hook.topic as WebhookTopic)) continue;
    await release.call(this, connectly, hook, previous);
  }
  delete state.webhookIds;
  delete state.previousAddresses;
  delete state.previousRegistrations;
  return true;
}
