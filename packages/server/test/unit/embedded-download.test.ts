import { describe, expect, it } from "vitest";
import { embeddedDownloadUrl } from "../../src/http/embedded-download.js";

describe("the download path @google/genai builds from an http video.uri", () => {
  it("is answered as that file's download, under either API version", () => {
    // What 2.32 and 3.x send for video.uri = http://127.0.0.1:8080/v1beta/files/abc123:download?alt=media.
    expect(
      embeddedDownloadUrl(
        "/v1beta/files/http://127.0.0.1:8080/v1beta/files/abc123:download?alt=media%3Adownload&alt=media",
      ),
    ).toBe("/v1/files/abc123:download?alt=media");
    expect(
      embeddedDownloadUrl("/v1/files/http://[::1]:9/v1beta/files/abc123:download?alt=media%3Adownload&alt=media"),
    ).toBe("/v1/files/abc123:download?alt=media");
  });

  it("leaves every other path alone", () => {
    for (const url of [
      "/v1beta/files/abc123:download?alt=media",
      "/v1/files/abc123",
      "/v1/files/http://h/files/ABC:download",
      "/v1/webhooks",
    ]) {
      expect(embeddedDownloadUrl(url), url).toBeUndefined();
    }
  });
});
