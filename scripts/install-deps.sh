#!/usr/bin/env bash
# Installs the system libraries FieldSync builds against (Debian): SQLite for both stores, and
# libcurl for URLSession on Linux; and python3 and LibreOffice (headless) for the tests. Swift itself must already be installed.
set -euo pipefail
needed=()
for pkg in libsqlite3-dev libcurl4-openssl-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg")
done
# The end-to-end tests read exports back with Python's csv module (a real CSV parser).
command -v python3 >/dev/null 2>&1 || needed+=(python3)
# The API fuzzer (scripts/api-fuzz.sh) installs schemathesis into a virtual environment.
python3 -m venv --help >/dev/null 2>&1 || needed+=(python3-venv)
# The spreadsheet-safety test opens a CSV export with LibreOffice headless: Calc without the GUI,
# without recommended extras (measured: about 42 s to download and install on the CI machine).
lean=()
command -v soffice >/dev/null 2>&1 || lean+=(libreoffice-calc-nogui)
if [ ${#needed[@]} -gt 0 ] || [ ${#lean[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  [ ${#needed[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${needed[@]}"
  [ ${#lean[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${lean[@]}"
fi
command -v swift >/dev/null || { echo "Swift 6.2 or later is needed: https://www.swift.org/install/linux/" >&2; exit 1; }
