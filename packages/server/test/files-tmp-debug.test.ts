import { it } from "vitest";
import { GoogleGenAI } from "@google/genai";
import { startTidings } from "./helpers/tidings.js";

async function upload(url: string, key: string, text: string) {
  const res = await fetch(`${url}/upload/v1beta/files`, { method: "POST", headers: { "x-goog-api-key": key, "content-type": "application/json", "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start", "x-goog-upload-header-content-length": String(text.length), "x-goog-upload-header-content-type": "text/plain" }, body: "{}" });
  const u = new URL(res.headers.get("x-goog-upload-url")!);
  const done = await fetch(`${url}${u.pathname}${u.search}`, { method: "POST", headers: { "x-goog-api-key": key, "content-type": "application/json", "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" }, body: Buffer.from(text) });
  return ((await done.json()) as any).file.name as string;
}
const cases: Record<string, (url: string, key: string) => Promise<unknown>> = {
  upload: async (url, key) => upload(url, key, "kept"),
  uploadDownload: async (url, key) => {
    const name = await upload(url, key, "kept");
    await (await fetch(`${url}/v1beta/${name}:download?alt=media`, { headers: { "x-goog-api-key": key } })).text();
  },
  genaiUpload: async (url, key) => {
    await new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: url } }).files.upload({ file: new Blob(["kept"]), config: { mimeType: "text/plain" } });
  },
  genaiDownload: async (url, key) => {
    const name = await upload(url, key, "kept");
    await new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: url } }).files.download({ file: name, downloadPath: "/tmp/ftiming/x" });
  },
};
for (const [name, run] of Object.entries(cases)) {
  it(name, async () => {
    for (let r = 0; r < 8; r++) {
      const s = await startTidings();
      for (let i = 0; i < 2; i++) await run(s.url, s.key);
      const t = Date.now();
      await s.close();
      console.log("CASE", name, Date.now() - t);
    }
  });
}
