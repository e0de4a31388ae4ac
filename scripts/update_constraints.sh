#!/usr/bin/env bash
# Regenerate constraints.txt: resolve requirements-dev.txt afresh in a throwaway venv and pin what it installed.
# Run it after changing requirements-dev.txt or a pyproject.toml's dependencies, then run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
grep -v '^-c ' requirements-dev.txt > "$tmp/requirements.txt"
sed -i 's#^-e \.#-e '"$PWD"'#' "$tmp/requirements.txt"
"$tmp/venv/bin/pip" install -q -r "$tmp/requirements.txt"
{
  echo "# Pinned versions of everything requirements-dev.txt installs, as last tested (scripts/update_constraints.sh)."
  echo "# pip cannot check hashes for editable installs (the three local distributions), so this pins versions only."
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^-e ' | sort -f
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages pinned"
