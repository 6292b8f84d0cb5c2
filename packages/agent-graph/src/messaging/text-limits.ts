// Fitting text into WhatsApp's character limits without breaking what a reader sees as one character:
// a flag, a skin tone, a family emoji or a letter with its accents (a grapheme cluster) is never cut in
// two. Limits count code points, as the Message API does. Work is bounded by the part asked for, not by
// the length of the text, so a hostile megabyte costs no more than the parts actually taken.

interface Grapheme {
  segment: string;
  index: number;
}

const SEGMENTER: { segment(text: string): Iterable<Grapheme> } | undefined =
  typeof Intl === 'object' && typeof Intl.Segmenter === 'function'
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;

// A runtime without Intl.Segmenter still never cuts a surrogate pair in two.
function* codePoints(text: string): Generator<Grapheme> {
  let index = 0;
  for (const segment of text) {
    yield { segment, index };
    index += segment.length;
  }
}

function graphemes(text: string): Iterable<Grapheme> {
  return SEGMENTER ? SEGMENTER.segment(text) : codePoints(text);
}

function codePointCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** True when `text` has more than `max` code points; stops counting at `max + 1`. */
export function exceeds(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let count = 0;
  for (const _ of text) if ((count += 1) > max) return true;
  return false;
}

// UTF-16 length of the first `max` code points of `text`.
function codePointPrefix(text: string, max: number): number {
  let units = 0;
  let count = 0;
  for (const point of text) {
    if (count === max) break;
    units += point.length;
    count += 1;
  }
  return units;
}

// A window of text holds at least `max` code points and a little more, so that where a part ends is
// decided with the character after it in view. A boundary depends only on what precedes it and on the
// one character after it, so segmenting a window gives the same boundaries as segmenting the whole text.
const SLACK = 64;
function window(text: string, from: number, max: number): string {
  return text.slice(from, from + 2 * max + SLACK);
}

/** The longest start of `text` of at most `max` code points that ends on a grapheme boundary. */
function graphemePrefix(text: string, max: number): string {
  const head = window(text, 0, max);
  let count = 0;
  for (const { segment, index } of graphemes(head)) {
    const size = codePointCount(segment);
    if (count + size > max) return head.slice(0, count === 0 ? codePointPrefix(segment, max) : index);
    count += size;
  }
  return head;
}

/** `text` cut to `max` code points with an ellipsis, on a grapheme boundary; unchanged when it fits. */
export function fit(text: string, max: number): string {
  return exceeds(text, max) ? `${graphemePrefix(text, max - 1)}…` : text;
}

/**
 * Splits text into parts of at most `max` code points (default WhatsApp's 4096), at a line or word
 * boundary past the middle of a part when there is one, otherwise between grapheme clusters. Lazy:
 * taking the first n parts reads about n × 2 × `max` characters of the text, whatever its length.
 */
export function* splitText(text: string, max = 4096): Generator<string> {
  let from = 0;
  while (from < text.length) {
    const head = window(text, from, max);
    const whole = from + head.length >= text.length;
    let start = -1;
    let count = 0;
    let wordEnd = -1;
    let end = -1;
    let last = 0;
    for (const { segment, index } of graphemes(head)) {
      last = index;
      const blank = segment.trim() === '';
      if (start < 0) {
        if (blank) continue;
        start = index;
      }
      const size = codePointCount(segment);
      if (count + size > max) {
        // One cluster longer than a whole part (a letter under thousands of accents) has to be cut.
        end = count === 0 ? index + codePointPrefix(segment, max) : index;
        break;
      }
      if (blank && count > max / 2) wordEnd = index;
      count += size;
    }
    if (start < 0) {
      // Only blanks in this window: skip them, keeping the last one, which may continue past the window.
      if (whole) return;
      from += last > 0 ? last : head.length;
    } else if (end >= 0) {
      const stop = wordEnd >= 0 ? wordEnd : end;
      yield head.slice(start, stop).trimEnd();
      from += stop;
    } else if (whole) {
      yield head.slice(start).trimEnd();
      return;
    } else {
      // Leading blanks took so much of the window that the part is not in view yet: start after them.
      from += start || head.length;
    }
  }
}
