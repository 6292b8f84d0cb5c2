// Server text as errors and logs may show it: the API key removed (whole, or any run of its characters),
// then cut to a short excerpt; a server's error message and details, bounded and printable.

/** What stands where the key was, in text and in a client printed for a log. */
export const REDACTED = '[redacted]';

/** Applied to any server text before it reaches an error: removes the API key. */
export type Sanitize = (text: string) => string;

// A run of this many characters of the key is the key: someone else's truncation (a JSON parser's
// snippet, say) can cut it, and what is left must not survive either.
const FRAGMENT = 8;

/**
 * Replaces every occurrence of `secret` in `text`, and every run of 8 or more of its characters; the
 * same for the secret as JSON writes it (a tab as `\t`, a quote as `\"`), for text printed as JSON.
 */
export function redact(text: string, secret: string): string {
  const escaped = JSON.stringify(secret).slice(1, -1);
  const clean = redactAs(text, secret);
  return escaped === secret ? clean : redactAs(clean, escaped);
}

function redactAs(text: string, secret: string): string {
  if (secret.length === 0) return text;
  const whole = text.includes(secret) ? text.split(secret).join(REDACTED) : text;
  if (secret.length < FRAGMENT || whole.length < FRAGMENT) return whole;
  const grams = new Set<string>();
  for (let i = 0; i + FRAGMENT <= secret.length; i += 1) grams.add(secret.slice(i, i + FRAGMENT));
  let out = '';
  let kept = 0; // whole[kept…] is not yet copied to out
  let runEnd = -1; // end of the run of key characters being masked
  for (let i = 0; i + FRAGMENT <= whole.length; i += 1) {
    if (!grams.has(whole.slice(i, i + FRAGMENT))) continue;
    if (i > runEnd) {
      if (runEnd >= 0) out += REDACTED;
      out += whole.slice(kept, i);
    }
    runEnd = i + FRAGMENT;
    kept = runEnd;
  }
  if (runEnd < 0) return whole;
  return `${out}${REDACTED}${whole.slice(kept)}`;
}

/** A short, printable excerpt of a body or line for an error message. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

// How much of a long text is sanitised for an excerpt: far more than any excerpt shows.
const EXCERPT_HEAD = 4096;

/**
 * An excerpt of server text with the key removed before anything is cut, so no part of it survives:
 * where the text itself is cut first, the last characters before the cut are dropped too.
 */
export function safeExcerpt(text: string, sanitize: Sanitize, max = 120): string {
  if (text.length <= EXCERPT_HEAD) return excerpt(sanitize(text), max);
  return excerpt(sanitize(text.slice(0, EXCERPT_HEAD)).slice(0, -FRAGMENT), max);
}

// The most of a server's own message an error carries, as for a body that is not JSON.
const SERVER_TEXT_MAX = 300;
// Details nested deeper than this are cut there: a logger or JSON.stringify would choke on them.
const DETAILS_MAX_DEPTH = 32;

/** A server's message as an error carries it: without the key, on one line, at most 300 characters. */
export function serverText(text: string, sanitize: Sanitize): string {
  return safeExcerpt(text, sanitize, SERVER_TEXT_MAX);
}

/** What an error says of a refusal whose body is not the API's error JSON: a short excerpt of it. */
export function notAnErrorBody(text: string, status: number, sanitize: Sanitize): string {
  const trimmed = text.trim();
  return trimmed
    ? `the server answered HTTP ${status} with a body that is not a Connectly error: "${safeExcerpt(trimmed, sanitize)}"`
    : `the server answered HTTP ${status} with an empty body`;
}

/**
 * A server's error details as an error carries them: a copy with the key removed from every string
 * (keys included) as decoded, so no JSON escaping hides it, and what nests deeper than 32 levels replaced
 * by a note. Always printable, whatever arrived.
 */
export function serverDetails(value: unknown, sanitize: Sanitize, depth = 0): unknown {
  if (typeof value === 'string') return sanitize(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= DETAILS_MAX_DEPTH) return `[nested more than ${DETAILS_MAX_DEPTH} levels deep: left out]`;
  if (Array.isArray(value)) return value.map((inner) => serverDetails(inner, sanitize, depth + 1));
  // fromEntries makes own fields, so a "__proto__" key stays a field.
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [sanitize(key), serverDetails(inner, sanitize, depth + 1)]),
  );
}

/** What a JSON parser says is wrong, without the snippet of the input it quotes (it may hold a cut key). */
export function jsonFailure(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/, ".*" is not valid JSON$/s, '');
}

/** `JSON.stringify` that reports a value too deep or too odd to print instead of throwing. */
export function printable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(a value that cannot be printed as JSON)';
  }
}
