// Loaded with --import before the harness runs.
import { register } from "node:module";

register("./loader.mjs", import.meta.url, {
  data: { allowedParent: new URL("./harness.mjs", import.meta.url).href },
});
