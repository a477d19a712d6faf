/**
 * `compute` remembered by key, for values that never change once computed (a parsed URI, an opened key, a
 * judged address): past `limit` keys the memory starts again, which bounds it as keys come and go at the
 * cost of recomputing what is still in use, cheaper than an LRU's bookkeeping on every call.
 */
export function boundedMemo<K, V>(limit: number, compute: (key: K) => V): (key: K) => V {
  const kept = new Map<K, V>();
  return (key) => {
    let value = kept.get(key);
    if (value === undefined && !kept.has(key)) {
      value = compute(key);
      if (kept.size >= limit) kept.clear();
      kept.set(key, value);
    }
    return value as V;
  };
}
