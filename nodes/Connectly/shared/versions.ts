// The Connectly node's versions. n8n keeps a saved workflow on the version it was built with, so what a
// version's workflows rely on never changes under them; a new workflow gets the newest version.
//
// Version 1: Customer Key and Text start empty; an empty Session ID starts a new session (Session Memory
// "New Session Every Time"); the whole-reply item carries the raw events, messages and handover events.
// Version 1.1: Customer Key and Text read a Chat Trigger's sessionId and chatInput; an empty Session ID
// continues the customer's remembered session; the whole-reply item is lean, the raw events on request.
import type { IDisplayOptions, IExecuteFunctions } from 'n8n-workflow';

export const NODE_VERSIONS = [1, 1.1];

export const LATEST_VERSION = 1.1;

/** Shows a parameter in version 1 only: the default saved workflows of that version were built with. */
export const inVersion1: IDisplayOptions = { show: { '@version': [1] } };

/** Shows a parameter from version 1.1 on. */
export const fromVersion1_1: IDisplayOptions = { show: { '@version': [{ _cnd: { gte: 1.1 } }] } };

export interface VersionDefaults {
  sessionMemory: 'remember' | 'new';
  rawEvents: boolean;
}

/** What the running node's version does where a parameter is not set (n8n sets no collection option). */
export function versionDefaults(this: IExecuteFunctions): VersionDefaults {
  return this.getNode().typeVersion >= 1.1
    ? { sessionMemory: 'remember', rawEvents: false }
    : { sessionMemory: 'new', rawEvents: true };
}
