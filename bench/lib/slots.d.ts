export function fillSlots(text: string, values: Record<string, string>): string;
export function readSlots(text: string): Array<{ name: string; value: string }>;
