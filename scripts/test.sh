#!/usr/bin/env bash
# Runs every FieldSync test: unit tests of the merge rules and codecs, end-to-end tests that
# start real fieldsync-server processes on loopback and drive fieldsync devices against them, and
# the API fuzzer (schemathesis, from PyPI) against Protocol/openapi.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
# The HTTP API against its OpenAPI description, fuzzed for a bounded time (fails on any finding).
scripts/api-fuzz.sh "$(swift build --show-bin-path)" 90
