// What a customer receives on WhatsApp when the mock's agent answers "I want a festive gift" and the reply
// goes out through the core's mapping: the text, the products as one text, the suggestions as reply buttons.

/** The messages' bodies as the mock records them, in order (for `toEqual`). */
export function festiveGiftMessages(): unknown[] {
  return [
    { text: 'Here are a few festive ideas she might love:' },
    {
      text: expect.stringMatching(
        /^• Aurora Silk Scarf — 49\.90 USD\nhttps:\/\/shop\.example\.com\/p\/aurora-scarf\n\n• Juniper Candle Set/,
      ),
    },
    {
      text: 'Choose an option',
      replyButtonMessage: {
        buttons: [
          { id: 'sugg:0', text: 'Do you gift-wrap?' },
          { id: 'sugg:1', text: 'What is your return…' },
          { id: 'sugg:2', text: 'Talk to a human' },
        ],
      },
    },
  ];
}
