/**
 * `ai.files.download({ file: video })` of @google/genai takes the file name out of `video.uri` only when the URI
 * is `https://`; an `http://` one (a server on a plain-http public URL, as in development) it appends whole, and
 * sends `GET /v1beta/files/http://host/v1beta/files/{id}:download?alt=media%3Adownload&alt=media`
 * (docs/wire/video.md). That request names the file `{id}`: it is answered as that file's download.
 */
const EMBEDDED_DOWNLOAD = /^\/v1(?:beta)?\/files\/https?:\/\/[^?#]*\/files\/([a-z0-9]+):download(?:[?#]|$)/;

/** The download route for such a URL, or undefined for any other. */
export function embeddedDownloadUrl(url: string): string | undefined {
  const id = EMBEDDED_DOWNLOAD.exec(url)?.[1];
  return id === undefined ? undefined : `/v1/files/${id}:download?alt=media`;
}
