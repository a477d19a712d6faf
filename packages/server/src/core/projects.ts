export interface Project {
  id: string;
  displayName: string;
  isDefault: boolean;
  createdAt: number;
  /** How long its finished records are kept (core/retention.ts); absent: the server's TIDINGS_RETENTION. */
  retentionMs?: number;
}
