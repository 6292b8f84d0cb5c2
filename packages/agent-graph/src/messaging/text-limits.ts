// Fitting text into WhatsApp's character limits without breaking what a reader sees as one character:
// a flag, a skin tone, a family emoji or a letter with its accents (a grapheme cluster) is never cut in
// two. Limits count code points, as the Message API does. The work for each part is bounded by the part,
// not by the length of the text, so a hostile megabyte costs no more than the parts actually taken.

const SEGMENTER =
  typeof Intl === 'object' && typeof Intl.Segmenter === 'function'
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;
const BLANK = /\s/;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The index `count` code points after `from`, or the end of the text. */
function advance(text: string, from: number, count: number): number {
  let index = from;
  for (let n = 0; n < count && index < text.length; n += 1) {
    index += isHighSurrogate(text.charCodeAt(index)) && isLowSurrogate(text.charCodeAt(index + 1)) ? 2 : 1;
  }
  return index;
}

/**
 * Where the grapheme cluster holding the character at `at` starts, looking back no further than `from`
 * (a boundary). Whether a boundary falls somewhere depends on what precedes it and on the one character
 * after it, so segmenting from `from` to just past `at` decides it as the whole text would; segmenting the
 * whole text instead costs time in proportion to its length on every call. Without `Intl.Segmenter`,
 * every code point is a cluster.
 */
function clusterStart(text: string, from: number, at: number): number {
  if (!SEGMENTER || at >= text.length) return at;
  return from + (SEGMENTER.segment(text.slice(from, at + 2)).containing(at - from)?.index ?? at - from);
}

/** The last grapheme boundary at or before `at`; `at` itself when one cluster runs from `from` past it. */
function boundaryBefore(text: string, from: number, at: number): number {
  const start = clusterStart(text, from, at);
  return start > from ? start : at;
}

/** The first index from `index` on that is not a blank; a mark written on a blank keeps that blank. */
function skipBlanks(text: string, index: number): number {
  let at = index;
  while (at < text.length && BLANK.test(text.charAt(at))) at += 1;
  if (at > index && at < text.length && clusterStart(text, at - 1, at) < at) at -= 1;
  return at;
}

/** True when `text` has more than `max` code points; counts no further than that. */
export function exceeds(text: string, max: number): boolean {
  return text.length > max && advance(text, 0, max) < text.length;
}

/** `text` cut to `max` code points with an ellipsis, on a grapheme boundary; unchanged when it fits. */
export function fit(text: string, max: number): string {
  if (!exceeds(text, max)) return text;
  return `${text.slice(0, boundaryBefore(text, 0, advance(text, 0, max - 1)))}…`;
}

/**
 * Splits text into parts of at most `max` code points (default WhatsApp's 4096), at a line or word
 * boundary past the middle of a part when there is one, otherwise between grapheme clusters (one cluster
 * longer than a part is cut between code points). Lazy: the first n parts cost about n × `max`,
 * whatever the length of the text.
 */
export function* splitText(text: string, max = 4096): Generator<string> {
  let from = skipBlanks(text, 0);
  while (from < text.length) {
    const limit = advance(text, from, max);
    if (limit >= text.length) {
      yield text.slice(from).trimEnd();
      return;
    }
    const end = boundaryBefore(text, from, limit);
    const head = text.slice(from, end);
    const space = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(' '));
    const stop = space > head.length / 2 ? from + space : end;
    yield text.slice(from, stop).trimEnd();
    from = skipBlanks(text, stop);
  }
}
