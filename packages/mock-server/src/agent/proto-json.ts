// Reading the Agent Graph API's protobuf JSON as a real server does: a field by its lowerCamelCase
// name or by its original snake_case proto name.

type Json = Record<string, unknown>;

/** A field's original proto name: `messageEvent` → `message_event`. */
export function snakeCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Reads a field by its camelCase or snake_case name, as protobuf JSON parsers do. */
export function field(source: unknown, camel: string): unknown {
  if (typeof source !== 'object' || source === null) return undefined;
  const record = source as Json;
  return camel in record ? record[camel] : record[snakeCase(camel)];
}
