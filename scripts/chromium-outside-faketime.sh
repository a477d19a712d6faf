#!/bin/sh
# Chromium for a test run under libfaketime (`npm run test:later`): its crash handler cannot run with the fake
# clock preloaded, so the browser starts without it. The test server it talks to keeps the moved date.
unset LD_PRELOAD FAKETIME FAKETIME_DONT_FAKE_MONOTONIC
exec /usr/bin/chromium "$@"
