/** A route for a Google-style custom method, `/{collection}/{id}:{verb}`; the regex keeps `:` out of the id. */
export function customMethod(collection: string, verb: string): string {
  return `/${collection}/:id(^[^:/]+)::${verb}`;
}
