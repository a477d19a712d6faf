export interface Project {
  id: string;
  displayName: string;
  isDefault: boolean;
  createdAt: number;
  /** How long its finished records are kept (core/retention.ts); absent: the server's TIDINGS_RETENTION. */
  retentionMs?: number;
}

/** An API key as listed: never its secret, which is shown once and stored only as a hash. */
export interface ApiKeyInfo {
  id: string;
  projectId: string;
  createdAt: number;
  /** To the minute: a key's use is written at most once a minute. */
  lastUsedAt?: number;
  /** The key TIDINGS_API_KEY set: a new value revokes it. */
  configured: boolean;
}

/** What a presented key authenticates as. */
export interface KeyHolder {
  keyId: string;
  projectId: string;
  /** Goes up when one of the key's dashboard sessions signs out: sessions sealed under an older one are over. */
  sessionEpoch: number;
}

/** An API key as stored. */
export interface ApiKeyRecord extends ApiKeyInfo {
  keyHash: string;
}
