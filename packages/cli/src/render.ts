// How agent events read in a terminal.

import { type AgentEvent, eventPayload, isEventType, isHandoverEvent, messageText } from 'connectly-agent-graph';
import type { Interactive, Product } from 'connectly-agent-graph';

function price(product: Product): string {
  if (product.price === undefined) return '';
  return ` — ${product.price.toFixed(2)}${product.currency ? ` ${product.currency}` : ''}`;
}

function interactiveLines(interactive: Interactive): string[] {
  const lines: string[] = [];
  const list = interactive.listMessage;
  if (list) {
    if (list.header?.text) lines.push(`  ☰ ${list.header.text}`);
    for (const section of list.sections ?? []) {
      if (section.title) lines.push(`    ${section.title}`);
      for (const row of section.rows ?? []) {
        lines.push(`      [${row.id ?? ''}] ${row.text ?? ''}${row.description ? ` — ${row.description}` : ''}`);
      }
    }
    if (list.footer?.text) lines.push(`    ${list.footer.text}`);
  }
  const buttons = interactive.replyButtonMessage;
  if (buttons) {
    if (buttons.header?.text) lines.push(`  ☐ ${buttons.header.text}`);
    lines.push(
      `    ${(buttons.buttons ?? []).map((button) => `[${button.id ?? ''}] ${button.text ?? ''}`).join('   ')}`,
    );
  }
  for (const [kind, value] of Object.entries(interactive)) {
    if (kind !== 'listMessage' && kind !== 'replyButtonMessage') lines.push(`  (${kind}) ${JSON.stringify(value)}`);
  }
  return lines;
}

/** The lines one event prints as, in the human-readable output. */
export function renderEvent(event: AgentEvent): string[] {
  if (isEventType(event, 'messageEvent')) {
    const text = messageText(event);
    if (text !== undefined) return [`agent › ${text}`];
    const content = event.messageEvent.content ?? {};
    return [`agent › (${Object.keys(content).join(', ') || 'empty message'}) ${JSON.stringify(content)}`];
  }
  if (isEventType(event, 'recommendationEvent')) {
    return (event.recommendationEvent.products ?? []).flatMap((product) => [
      `  🛍  ${product.title ?? product.productId ?? 'product'}${price(product)}`,
      ...(product.url ? [`      ${product.url}`] : []),
    ]);
  }
  if (isEventType(event, 'chatSuggestionEvent')) {
    const questions = event.chatSuggestionEvent.suggestedQuestions ?? [];
    return questions.length ? [`  suggestions: ${questions.map((q) => `“${q}”`).join(' · ')}`] : [];
  }
  if (isEventType(event, 'connectlyInteractiveEvent')) {
    return event.connectlyInteractiveEvent.interactive
      ? interactiveLines(event.connectlyInteractiveEvent.interactive)
      : [];
  }
  if (isHandoverEvent(event)) {
    const payload = (eventPayload(event) ?? {}) as Record<string, unknown>;
    const { triggerHandover, ...rest } = payload;
    const detail = Object.entries(rest)
      .filter(([, value]) => value !== undefined && value !== '')
      .map(([key, value]) => `${key}: ${String(value)}`)
      .join(', ');
    const what = triggerHandover === true ? 'HANDOVER' : 'handover trace';
    return [`  ⚠ ${what} (${event.type})${detail ? ` — ${detail}` : ''}`];
  }
  return [`  (${event.type}) ${JSON.stringify(eventPayload(event))}`];
}
