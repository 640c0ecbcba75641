#!/usr/bin/env bash
# Runs every FieldSync test: unit tests of the merge rules and codecs, and end-to-end tests that
# start real fieldsync-server processes on loopback and drive fieldsync devices against them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
