/** The two spellings of a proto3 JSON field name (docs/wire.md: conventions): `webhook_config` and `webhookConfig`. */

/** `webhook_config` → `webhookConfig`, as protoc derives a field's JSON name. */
export function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `webhookConfig` → `webhook_config`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
