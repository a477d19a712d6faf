import { found, invalidArgument, notFound } from "../core/errors.js";
import { newApiKey, newResourceId } from "../core/ids.js";
import type { UpdateProjectRequest } from "@tidings/sdk/contract";
import type { Page, PageRequest } from "../core/pages.js";
import type { ApiKeyInfo, KeyHolder, Project } from "../core/projects.js";
import { DURATION_FORM, parseDuration } from "../core/timestamps.js";
import { fieldsToUpdate } from "../core/update-mask.js";
import { hashApiKey } from "../crypto/api-keys.js";
import type { ServiceContext } from "./context.js";

const UPDATABLE = ["retention"] as const;

/**
 * Known keys are remembered briefly: a hash and a query per request add up at webhook volumes. A revocation
 * through Tidings forgets at once (in every process sharing PostgreSQL, told by the database); this bounds how
 * long a change made behind Tidings' back, such as a row deleted by hand in SQLite, goes unseen.
 */
const KEY_CACHE_MS = 5_000;
const KEY_CACHE_LIMIT = 10_000;
/** A key's last use is written at most this often: once a minute is what a listing needs, not a write per request. */
const USE_RECORDED_EVERY_MS = 60_000;

/** A freshly minted key: its secret, shown once, and its id, which lists and revocation use. */
export interface MintedKey {
  id: string;
  key: string;
  projectId: string;
}

/** A retention of at least a second: a Duration such as `"86400s"`, or a 400 naming `retention`. */
function parseRetention(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000)
    throw invalidArgument("retention", `must be ${DURATION_FORM} of at least 1 second, not ${JSON.stringify(text)}`);
  return ms;
}

/** Tenants and their API keys. Keys are shown once and stored only as hashes. */
export class ProjectService {
  private readonly known = new Map<string, { holder: KeyHolder; until: number }>();
  private readonly useRecorded = new Map<string, number>();

  constructor(private readonly ctx: Pick<ServiceContext, "store" | "clock" | "log">) {}

  async create(displayName: string, isDefault = false): Promise<Project> {
    const now = this.ctx.clock.now();
    const project: Project = { id: newResourceId(now), displayName, isDefault, createdAt: now };
    await this.ctx.store.projects.insert(project);
    return project;
  }

  async get(id: string): Promise<Project> {
    return found(await this.ctx.store.projects.get(id), `projects/${id}`);
  }

  /**
   * PATCH: its retention (a Duration, `"86400s"`), or the server's default when the mask names it and the body has
   * none.
   */
  async update(id: string, input: UpdateProjectRequest, updateMask: string | undefined): Promise<Project> {
    const project = await this.get(id);
    if (fieldsToUpdate(updateMask, UPDATABLE, input).includes("retention")) {
      const retentionMs = input.retention === undefined ? undefined : parseRetention(input.retention);
      await this.ctx.store.projects.setRetention(id, retentionMs);
      const { retentionMs: _previous, ...rest } = project;
      return { ...rest, ...(retentionMs !== undefined ? { retentionMs } : {}) };
    }
    return project;
  }

  /** The default project, made on a server's first start. */
  async getDefault(): Promise<Project> {
    const project = await this.ctx.store.projects.getDefault();
    if (project === undefined) throw notFound("the default project (a server makes it on its first start)");
    return project;
  }

  async createApiKey(projectId: string): Promise<MintedKey> {
    await this.get(projectId);
    const key = newApiKey();
    const id = newResourceId(this.ctx.clock.now());
    await this.ctx.store.projects.addApiKey({
      id,
      projectId,
      keyHash: hashApiKey(key),
      createdAt: this.ctx.clock.now(),
      configured: false,
    });
    return { id, key, projectId };
  }

  async listApiKeys(projectId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    await this.get(projectId);
    return this.ctx.store.projects.listApiKeys(projectId, page);
  }

  /** Revokes a key: refused from now on, here and (through the database) in every process sharing it. */
  async revokeApiKey(projectId: string, keyId: string): Promise<void> {
    const deleted = await this.ctx.store.projects.deleteApiKey(projectId, keyId);
    if (!deleted) throw notFound(`projects/${projectId}/apiKeys/${keyId}`);
    this.forgetKeys();
    this.ctx.log.info({ project: projectId, api_key_id: keyId }, "API key revoked");
  }

  /**
   * Who a presented API key belongs to, if it is one of ours. Remembered for a few seconds; the key's use is
   * recorded at most once a minute, without holding the request up.
   */
  async authenticate(key: string): Promise<KeyHolder | undefined> {
    const now = this.ctx.clock.now();
    // Keyed by the key itself, as presented: a request the memory answers costs no hash.
    let holder = this.known.get(key);
    if (holder === undefined || holder.until <= now) {
      const found = await this.ctx.store.projects.keyHolder(hashApiKey(key));
      if (found === undefined) {
        this.known.delete(key);
        return undefined;
      }
      if (this.known.size >= KEY_CACHE_LIMIT) this.known.clear();
      holder = { holder: found, until: now + KEY_CACHE_MS };
      this.known.set(key, holder);
    }
    this.recordUse(holder.holder.keyId, now);
    return holder.holder;
  }

  /** Drops every key remembered: one was revoked or changed, here or in another process. */
  forgetKeys(): void {
    this.known.clear();
  }

  /** Ends every dashboard session signed in with this key, at once. */
  async endSessions(holder: KeyHolder): Promise<void> {
    await this.ctx.store.projects.endSessions(holder.keyId);
    this.forgetKeys();
  }

  /** Ready to serve: the default project exists (made on first start). */
  async hasDefault(): Promise<boolean> {
    return (await this.ctx.store.projects.getDefault()) !== undefined;
  }

  /**
   * Accepts a key chosen by the operator (TIDINGS_API_KEY) for a project. It replaces the key configured before
   * it, which stops working: changing the variable and restarting is how that key is rotated.
   */
  async acceptConfiguredKey(projectId: string, key: string): Promise<void> {
    const revoked = await this.ctx.store.projects.setConfiguredApiKey({
      id: newResourceId(this.ctx.clock.now()),
      projectId,
      keyHash: hashApiKey(key),
      createdAt: this.ctx.clock.now(),
      configured: true,
    });
    if (revoked.length > 0) {
      this.forgetKeys();
      this.ctx.log.info(
        { project: projectId, api_key_ids: revoked },
        "TIDINGS_API_KEY changed: the key it replaced is revoked",
      );
    }
  }

  /**
   * The default project, made on first start. Returns a freshly minted key only when it had to make
   * the project and no key was configured: the one time it is shown.
   */
  async ensureDefault(configuredKey: string | undefined): Promise<{ project: Project; newKey?: string }> {
    let project = await this.ctx.store.projects.getDefault();
    let newKey: string | undefined;
    if (project === undefined) {
      try {
        project = await this.create("default", true);
        if (configuredKey === undefined) newKey = (await this.createApiKey(project.id)).key;
      } catch (err) {
        // Another process sharing the database made it first.
        project = await this.ctx.store.projects.getDefault();
        if (project === undefined) throw err;
      }
    }
    if (configuredKey !== undefined) await this.acceptConfiguredKey(project.id, configuredKey);
    return { project, newKey };
  }

  private recordUse(keyId: string, now: number): void {
    const last = this.useRecorded.get(keyId);
    if (last !== undefined && now - last < USE_RECORDED_EVERY_MS) return;
    if (this.useRecorded.size >= KEY_CACHE_LIMIT) this.useRecorded.clear();
    this.useRecorded.set(keyId, now);
    this.ctx.store.projects.touchApiKey(keyId, now).catch((err: unknown) => {
      this.ctx.log.warn({ err, api_key_id: keyId }, "could not record an API key's use");
    });
  }
}
