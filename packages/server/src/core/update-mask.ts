import { invalidArgument } from "./errors.js";
import { snakeCase } from "./field-names.js";

/**
 * The fields a PATCH updates: those its update_mask names (a google.protobuf.FieldMask, comma-separated, either
 * spelling of each name), or, without one, those present in the body. A name that cannot be updated is a 400 naming it.
 */
export function fieldsToUpdate<F extends string>(
  mask: string | undefined,
  updatable: readonly F[],
  body: Partial<Record<F, unknown>>,
): F[] {
  if (!mask) return updatable.filter((f) => body[f] !== undefined);
  return mask
    .split(",")
    .map((f) => f.trim())
    .filter(Boolean)
    .map((field) => {
      const name = snakeCase(field);
      if (!(updatable as readonly string[]).includes(name)) {
        throw invalidArgument(
          "update_mask",
          `"${field}" cannot be updated; updatable fields are ${updatable.join(", ")}`,
        );
      }
      return name as F;
    });
}
