#!/usr/bin/env bash
# Create .venv and install pmkg with its test and dev extras (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test,dev]"
# grlc (tests/test_grlc.py serves queries/ with it) in its own venv: it pins exact versions of
# Flask, rdflib, requests, ... that need not suit pmkg's.
[ -x .venv-grlc/bin/python ] || python3 -m venv .venv-grlc
.venv-grlc/bin/python -m pip install -q -r tests/grlc-requirements.txt
