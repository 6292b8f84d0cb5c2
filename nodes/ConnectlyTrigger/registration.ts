// The trigger's webhook registrations at Connectly, as n8n drives them on activation and deactivation:
// Connectly holds one address per topic per business, so activating takes the topic over (remembering
// who held it) and deactivating gives it back, or removes it; a registration that no longer points at
// this workflow is never touched.
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

/** What the node keeps in its static data between activation and deactivation. */
interface Registered extends IDataObject {
  /** The registration id per topic. */
  webhookIds?: Record<string, string>;
  /** Per topic, the address that held it before this workflow took it over. */
  previousAddresses?: Record<string, string>;
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
      : status === 401
        ? 'Check the API key of the Connectly Messaging API credential: it must be the general key of the business'
        : status === 404
          ? 'Check the Business ID of the Connectly Messaging API credential'
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
    throw new NodeOperationError(this.getNode(), 'The Connectly Messaging API credential has no Webhook Secret', {
      description:
        'The trigger accepts only deliveries signed with the webhook secret Connectly holds for your business: ask your Connectly contact for it and enter it in the credential',
    });
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

/** Points every topic the trigger needs at this workflow, taking it over from any other address. */
export async function create(this: IHookFunctions): Promise<boolean> {
  await requireSecret.call(this);
  const url = ownUrl.call(this);
  const connectly = await client.call(this);
  const hooks = await list.call(this, connectly);
  const needed = wanted.call(this);
  const state = this.getWorkflowStaticData('node') as Registered;
  const ids: Record<string, string> = { ...(state.webhookIds ?? {}) };
  const previous: Record<string, string> = { ...(state.previousAddresses ?? {}) };
  for (const { topic, configuration } of needed) {
    const holder = hooks.find((h) => h.topic === topic);
    if (holder && holder.address !== url) {
      previous[topic] = holder.address;
      this.logger.warn(
        `Connectly Trigger: the business's "${topic}" webhook pointed at ${holder.address}; it now points at this workflow (${url}) until the workflow is deactivated`,
      );
    }
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
  state.previousAddresses = previous;
  return true;
}

/** Gives a topic back to the address that held it before this workflow, or removes its registration. */
async function release(
  this: IHookFunctions,
  connectly: ConnectlyMessagingClient,
  hook: WebhookRegistration,
  previous: Record<string, string>,
): Promise<void> {
  const before = previous[hook.topic];
  delete previous[hook.topic];
  try {
    if (before && before !== hook.address) await connectly.updateWebhook(hook.id, { address: before });
    else await connectly.deleteWebhook(hook.id);
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
  const previous: Record<string, string> = { ...(state.previousAddresses ?? {}) };
  for (const hook of await list.call(this, connectly)) {
    if (hook.address !== url || !TOPICS.includes(hook.topic as WebhookTopic)) continue;
    await release.call(this, connectly, hook, previous);
  }
  delete state.webhookIds;
  delete state.previousAddresses;
  return true;
}
