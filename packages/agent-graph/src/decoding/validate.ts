// Input rules, checked before any request: what the caller sends is normalised to the wire format
// (camelCase keys, enum strings, numbers) or rejected with a ConnectlyValidationError naming the fix.
// One file past 350 lines on purpose: every input event kind's rule sits beside the others it shares
// checks with, so a rule is read, and changed, in one place.

import { ConnectlyError, ConnectlyValidationError } from '../errors/errors.js';
import { INPUT_EVENT_TYPES, type InputEvent, type MessageEvent, type MessageRole } from '../wire/api.js';

// Maps whose keys are the caller's own data, never field names: their keys are kept as given.
const FREE_FORM_FIELDS = new Set(['formData', 'metadata', 'facets']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function toCamelCase(key: string): string {
  return key.includes('_') ? key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

// Deeper input than this is a mistake (or an attack on the stack), never a Connectly request.
const MAX_INPUT_DEPTH = 100;

/**
 * Deep copy with snake_case field names turned into camelCase (protobuf JSON accepts both; we send
 * camelCase). Refuses what cannot travel as JSON: circular structures, BigInt, functions, symbols,
 * nesting past 100 levels, and one field spelled both ways (`message_event` and `messageEvent`).
 */
export function normalizeKeys(value: unknown, path = 'request'): unknown {
  return copyJson(value, path, 0, new Set(), true);
}

function copyJson(value: unknown, path: string, depth: number, ancestors: Set<object>, rename: boolean): unknown {
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
    throw new ConnectlyValidationError(path, `\`${path}\` must be JSON data, got a ${typeof value}`);
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_INPUT_DEPTH) {
    throw new ConnectlyValidationError(path, `\`${path}\` is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  }
  if (ancestors.has(value)) {
    throw new ConnectlyValidationError(
      path,
      `\`${path}\` contains itself: a circular structure cannot be sent as JSON`,
    );
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((inner, index) => copyJson(inner, `${path}[${index}]`, depth + 1, ancestors, rename));
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return copyJson((value as { toJSON(): unknown }).toJSON(), path, depth, ancestors, rename);
    }
    const out: Json = {};
    const spelled: Record<string, string> = {};
    for (const [key, inner] of Object.entries(value)) {
      const name = rename ? toCamelCase(key) : key;
      if (name in spelled) {
        throw new ConnectlyValidationError(
          `${path}.${name}`,
          `\`${path}\` holds both \`${spelled[name]}\` and \`${key}\`, two spellings of one field: keep one`,
        );
      }
      spelled[name] = key;
      const keepKeys = !rename || (FREE_FORM_FIELDS.has(name) && isObject(inner));
      out[name] = copyJson(inner, `${path}.${name}`, depth + 1, ancestors, !keepKeys);
    }
    return out;
  } catch (error) {
    throw asValidationError(error, path);
  } finally {
    ancestors.delete(value);
  }
}

/** Turns what reading the caller's input threw (a getter, a proxy) into a ConnectlyValidationError. */
export function asValidationError(error: unknown, path = 'request'): ConnectlyError {
  if (error instanceof ConnectlyError) return error;
  let reason: string;
  try {
    reason = error instanceof Error ? error.message : describe(error);
  } catch {
    reason = 'an error that cannot be described';
  }
  return new ConnectlyValidationError(path, `Reading \`${path}\` failed: ${reason}`);
}

/** A value for an error message; never throws, whatever the value. */
export function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeName(value);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A required, non-empty string. `hint` tells the caller where the value comes from. */
export function requireString(value: unknown, field: string, hint = ''): string {
  if (value === undefined || value === null) {
    throw new ConnectlyValidationError(field, `\`${field}\` is required${hint ? `: ${hint}` : ''}`);
  }
  if (typeof value !== 'string') {
    throw new ConnectlyValidationError(field, `\`${field}\` must be a string, got ${typeName(value)}`);
  }
  if (value.trim().length === 0) {
    throw new ConnectlyValidationError(field, `\`${field}\` must not be empty${hint ? `: ${hint}` : ''}`);
  }
  return value;
}

/** An optional string: absent is fine, present must be a string. */
function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ConnectlyValidationError(field, `\`${field}\` must be a string, got ${typeName(value)}`);
  }
  return value;
}

function requireObject(value: unknown, field: string, example: string): Json {
  if (!isObject(value)) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be an object like ${example}, got ${value === undefined ? 'nothing' : typeName(value)}`,
    );
  }
  return value;
}

function copyStrings(source: Json, field: string, names: readonly string[]): Json {
  const out: Json = {};
  for (const name of names) {
    const value = optionalString(source[name], `${field}.${name}`);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

const ROLES: Record<string, MessageRole> = {
  USER: 'USER',
  ASSISTANT: 'ASSISTANT',
  MESSAGE_EVENT_ROLE_UNSPECIFIED: 'MESSAGE_EVENT_ROLE_UNSPECIFIED',
  '0': 'MESSAGE_EVENT_ROLE_UNSPECIFIED',
  '1': 'USER',
  '2': 'ASSISTANT',
};

function checkRole(value: unknown, field: string): MessageRole {
  const role = typeof value === 'string' || typeof value === 'number' ? ROLES[String(value).toUpperCase()] : undefined;
  if (role) return role;
  throw new ConnectlyValidationError(
    field,
    value === undefined
      ? `\`${field}\` is required: 'USER' for the customer's words, 'ASSISTANT' for a message your bot already showed`
      : `\`${field}\` must be 'USER' or 'ASSISTANT', got ${describe(value)}`,
  );
}

function checkCoordinate(value: unknown, field: string, limit: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || Math.abs(number) > limit) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be a number between -${limit} and ${limit}, got ${value === undefined ? 'nothing' : describe(value)}`,
    );
  }
  return number;
}

const CONTENT_KINDS = ['textContent', 'audioContent', 'imageContent', 'locationContent'] as const;

function checkContent(value: unknown, field: string): Json {
  const content = requireObject(value, field, '{ textContent: { text: "Hi" } }');
  const kinds = Object.keys(content);
  if (kinds.length !== 1 || !(CONTENT_KINDS as readonly string[]).includes(kinds[0] ?? '')) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must hold exactly one of ${CONTENT_KINDS.join(', ')}; it holds ${kinds.length ? kinds.join(', ') : 'nothing'}`,
    );
  }
  const kind = kinds[0] as (typeof CONTENT_KINDS)[number];
  const at = `${field}.${kind}`;
  const inner = content[kind];
  switch (kind) {
    case 'textContent': {
      // The legacy Sofia API sent textContent as a bare string; the Agent Graph wants { text }.
      const text = typeof inner === 'string' ? inner : requireObject(inner, at, '{ text: "Hi" }')['text'];
      return { textContent: { text: requireString(text, `${at}.text`) } };
    }
    case 'audioContent': {
      const audio = requireObject(inner, at, '{ url: "https://…" }');
      return { audioContent: { url: requireString(audio['url'], `${at}.url`, 'a public URL of the audio file') } };
    }
    case 'imageContent': {
      const image = requireObject(inner, at, '{ url: "https://…", caption: "…" }');
      return {
        imageContent: {
          url: requireString(image['url'], `${at}.url`, 'a public URL of the image'),
          ...copyStrings(image, at, ['caption']),
        },
      };
    }
    case 'locationContent': {
      const location = requireObject(inner, at, '{ latitude: -25.4, longitude: -49.2 }');
      return {
        locationContent: {
          latitude: checkCoordinate(location['latitude'], `${at}.latitude`, 90),
          longitude: checkCoordinate(location['longitude'], `${at}.longitude`, 180),
          ...copyStrings(location, at, ['name', 'address']),
        },
      };
    }
  }
}

function checkMessageEvent(value: unknown, field: string): MessageEvent {
  const message = requireObject(value, field, "{ role: 'USER', content: { textContent: { text: 'Hi' } } }");
  const out: Json = {
    role: checkRole(message['role'], `${field}.role`),
    content: checkContent(message['content'], `${field}.content`),
  };
  const createdAt = optionalString(message['createdAt'], `${field}.createdAt`);
  if (createdAt !== undefined) out['createdAt'] = createdAt;
  if (message['metadata'] !== undefined) {
    out['metadata'] = requireObject(message['metadata'], `${field}.metadata`, '{ "key": "value" }');
  }
  return out as MessageEvent;
}

function checkReply(value: unknown, field: string, names: readonly string[]): Json {
  const reply = requireObject(value, field, '{ id: "option-1", title: "Option 1" }');
  const out = copyStrings(reply, field, names);
  if (!out['id'] && !out['title']) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` needs an \`id\` or a \`title\`: the id and text of the button or row the customer chose`,
    );
  }
  return out;
}

function checkForm(value: unknown, field: string): Json {
  const form = requireObject(value, field, '{ formData: { name: "Ana" } }');
  const data = requireObject(form['formData'], `${field}.formData`, '{ name: "Ana", email: "ana@example.com" }');
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(data)) {
    if (typeof entry === 'string') out[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') out[key] = String(entry);
    else {
      throw new ConnectlyValidationError(
        `${field}.formData.${key}`,
        `\`${field}.formData.${key}\` must be a string, got ${typeName(entry)}: form values are text`,
      );
    }
  }
  return { formData: out };
}

/** Checks one element of `inputEvents` (already camelCased) and returns its wire form. */
export function checkInputEvent(value: unknown, index: number): InputEvent {
  const field = `inputEvents[${index}]`;
  const element = requireObject(
    value,
    field,
    "{ messageEvent: { role: 'USER', content: { textContent: { text: 'Hi' } } } }",
  );
  const keys = Object.keys(element);
  if (keys.length !== 1) {
    throw new ConnectlyValidationError(
      field,
      keys.length === 0
        ? `\`${field}\` is empty: it must hold exactly one event key, one of ${INPUT_EVENT_TYPES.join(', ')}`
        : `\`${field}\` holds ${keys.length} event keys (${keys.join(', ')}): each element must hold exactly one, so put each event in its own element`,
    );
  }
  const key = keys[0] as string;
  const at = `${field}.${key}`;
  switch (key) {
    case 'messageEvent':
      return { messageEvent: checkMessageEvent(element[key], at) };
    case 'buttonResponseEvent':
      return { buttonResponseEvent: checkReply(element[key], at, ['id', 'title']) };
    case 'listReplyEvent':
      return { listReplyEvent: checkReply(element[key], at, ['id', 'title', 'description']) };
    case 'filledFormResponseEvent':
      return { filledFormResponseEvent: checkForm(element[key], at) };
    case 'storeEvent':
      return {
        storeEvent: copyStrings(requireObject(element[key], at, '{ storeId: "22473", name: "…" }'), at, [
          'storeId',
          'name',
          'cpName',
          'city',
          'state',
        ]),
      };
    default:
      throw new ConnectlyValidationError(
        field,
        `\`${field}\` has the unknown event key \`${key}\`: use one of ${INPUT_EVENT_TYPES.join(', ')}`,
      );
  }
}

/** Checks and normalises a whole `inputEvents` array. */
export function checkInputEvents(value: unknown): InputEvent[] {
  if (value === undefined || value === null) {
    throw new ConnectlyValidationError(
      'inputEvents',
      "`inputEvents` is required: pass the customer's events, e.g. [userText('Hi')], or use `text`",
    );
  }
  if (!Array.isArray(value)) {
    throw new ConnectlyValidationError(
      'inputEvents',
      `\`inputEvents\` must be an array of events, got ${typeName(value)}`,
    );
  }
  if (value.length === 0) {
    throw new ConnectlyValidationError(
      'inputEvents',
      "`inputEvents` must hold at least one event, e.g. [userText('Hi')]: the agent answers the events you send",
    );
  }
  return value.map((element, index) => checkInputEvent(normalizeKeys(element, `inputEvents[${index}]`), index));
}

// Arrays checked by `checkTurnEvents` and never handed to the caller: invoke sends them as they are.
const CHECKED = new WeakSet<readonly InputEvent[]>();

/** Checks a turn's events for a caller that passes them on to invoke, so they are checked once. */
export function checkTurnEvents(value: unknown): InputEvent[] {
  const events = Object.freeze(checkInputEvents(value)) as InputEvent[];
  CHECKED.add(events);
  return events;
}

/** A turn of plain text, checked as `checkTurnEvents([userText(text)])` checks it, without copying the event it builds. */
export function checkTurnText(text: string): InputEvent[] {
  const events = Object.freeze([userText(requireString(text, 'inputEvents[0].messageEvent.content.textContent.text'))]);
  CHECKED.add(events);
  return events as InputEvent[];
}

/** The events of several turns' callers in arrival order, one turn's input: checked already, not again. */
export function joinTurnEvents(parts: readonly InputEvent[][]): InputEvent[] {
  if (parts.length === 1 && CHECKED.has(parts[0] as InputEvent[])) return parts[0] as InputEvent[];
  const events = parts.flat();
  if (parts.every((part) => CHECKED.has(part))) CHECKED.add(Object.freeze(events));
  return events;
}

/** The `inputEvents` of a request in wire form: checked now unless `checkTurnEvents` already did. */
export function inputEventsOf(value: unknown): InputEvent[] {
  return Array.isArray(value) && CHECKED.has(value) ? (value as InputEvent[]) : checkInputEvents(value);
}

/** The common case: the customer typed some text. */
export function userText(text: string): InputEvent {
  return { messageEvent: { role: 'USER', content: { textContent: { text } } } };
}

/** A message your bot already showed the customer (a greeting, say), so the agent has the context. */
export function assistantText(text: string): InputEvent {
  return { messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } };
}
