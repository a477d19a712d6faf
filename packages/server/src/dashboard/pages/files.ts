import type { FastifyPluginAsync } from "fastify";
import { queryParam, type DashboardDeps } from "../context.js";

/** Characters a download's file name keeps; the rest become `_` (the name comes from the uploader). */
const UNSAFE_NAME_CHARACTERS = /[^A-Za-z0-9._-]+/g;

/**
 * A file's bytes for the signed-in project, for the output links on operation pages: the API's download
 * needs an API key in a header, which a link cannot send. Only a video is shown in place (the preview plays
 * from here); anything else is saved, never rendered: its type is whatever the uploader said, and an HTML or
 * script file served inline from the dashboard's origin could act as the dashboard.
 */
export const fileRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { services }) => {
  app.get<{ Params: { id: string } }>("/files/:id", async (req, reply) => {
    const { file, stream } = await services.files.open(req.projectId, req.params.id);
    const inline = file.mimeType.startsWith("video/") && queryParam(req, "download") === undefined;
    const name = (file.displayName || file.id).replace(UNSAFE_NAME_CHARACTERS, "_");
    return reply
      .header("content-type", file.mimeType)
      .header("content-length", String(file.sizeBytes))
      .header("content-disposition", inline ? "inline" : `attachment; filename="${name}"`)
      .header("content-security-policy", "default-src 'none'; sandbox")
      .header("cache-control", "private, no-store")
      .send(stream);
  });
};
