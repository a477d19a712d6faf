#!/usr/bin/env node
// The `tidings` command. A committed shim, so npm can link it on install before the build has run.
import "../dist/cli/main.js";
