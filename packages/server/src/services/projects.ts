import { found, invalidArgument } from "../core/errors.js";
import { newApiKey, newResourceId } from "../core/ids.js";
import type { UpdateProjectRequest } from "@tidings/sdk/contract";
import type { Project } from "../core/projects.js";
import { DURATION_FORM, parseDuration } from "../core/timestamps.js";
import { fieldsToUpdate } from "../core/update-mask.js";
import { hashApiKey } from "../crypto/api-keys.js";
import type { ServiceContext } from "./context.js";

const UPDATABLE = ["retention"] as const;

/** A retention of at least a second: a Duration such as `"86400s"`, or a 400 naming `retention`. */
function parseRetention(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000) throw invalidArgument("retention", `must be ${DURATION_FORM} of at least 1 second, not ${JSON.stringify(text)}`);
  return ms;
}

/** Tenants and their API keys. Keys are shown once and stored only as hashes. */
export class ProjectService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(displayName: string, isDefault = false): Promise<Project> {
    const now = this.ctx.clock.now();
    const project: Project = { id: newResourceId(now), displayName, isDefault, createdAt: now };
    await this.ctx.store.projects.insert(project);
    return project;
  }

  async get(id: string): Promise<Project> {
    return found(await this.ctx.store.projects.get(id), `projects/${id}`);
  }

  /** PATCH: its retention (a Duration, `"86400s"`), or the server's default when the mask names it and the body has none. */
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

  async createApiKey(projectId: string): Promise<string> {
    await this.get(projectId);
    const key = newApiKey();
    await this.ctx.store.projects.addApiKey(projectId, hashApiKey(key), this.ctx.clock.now());
    return key;
  }

  /** The project a presented API key belongs to, if it is one of ours. */
  projectIdForKey(key: string): Promise<string | undefined> {
    return this.ctx.store.projects.projectIdForKeyHash(hashApiKey(key));
  }

  /** Ready to serve: the default project exists (made on first start). */
  async hasDefault(): Promise<boolean> {
    return (await this.ctx.store.projects.getDefault()) !== undefined;
  }

  /** Accepts a key chosen by the operator (TIDINGS_API_KEY) for a project. */
  async acceptApiKey(projectId: string, key: string): Promise<void> {
    await this.ctx.store.projects.addApiKey(projectId, hashApiKey(key), this.ctx.clock.now());
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
        if (configuredKey === undefined) newKey = await this.createApiKey(project.id);
      } catch (err) {
        // Another process sharing the database made it first.
        project = await this.ctx.store.projects.getDefault();
        if (project === undefined) throw err;
      }
    }
    if (configuredKey !== undefined) await this.acceptApiKey(project.id, configuredKey);
    return { project, newKey };
  }
}
