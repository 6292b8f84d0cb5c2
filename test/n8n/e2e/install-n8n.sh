#!/usr/bin/env bash
# Installs what the real-n8n end-to-end test needs, once, into a cache outside the repository:
# Node 24 (n8n 2.41 needs it) from the npm registry, and a pinned n8n with its native parts built.
# Prints the cache folder. Later runs find a verified install there and return at once.
#
# It must work whatever npm environment calls it: under `npm run`, npm exports the repository's
# `.npmrc` (ignore-scripts=true) as npm_config_ignore_scripts, which would make `npm rebuild` build
# nothing and still say it succeeded. So every npm call here names its own script setting, and the
# install is checked before it is marked complete: Node 24 runs (test/support/install-node.sh checks it),
# n8n prints its version, sqlite3 and isolated-vm load.
set -euo pipefail

NODE24_VERSION=24.21.0
N8N_VERSION=2.41.1
CACHE=${CONNECTLY_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-connectly-e2e}
mkdir -p "$CACHE"
log() { echo "[install-n8n] $*" >&2; }
# The caller's npm settings are not ours: no inherited ignore-scripts, yes or nodedir.
unset npm_config_ignore_scripts npm_config_yes npm_config_nodedir

# Node 24 in the cache's node24 folder, where the tests look for it.
node24bin=$(bash "$(dirname "${BASH_SOURCE[0]}")/../../support/install-node.sh" "$NODE24_VERSION" "$CACHE/node24")
node24=$(dirname "$node24bin")
export PATH="$node24bin:$PATH" npm_config_nodedir="$node24"

app="$CACHE/n8n-$N8N_VERSION"
verify() { # the install runs, or says why not
  local out home
  home=$(mktemp -d) # n8n writes its config even for --version: not into the user's ~/.n8n
  trap 'rm -rf "$home"' RETURN
  out=$(cd "$app" && N8N_USER_FOLDER=$home "$node24/bin/node" node_modules/n8n/bin/n8n --version 2>&1 | tail -n 1) || { echo "$out"; return 1; }
  [[ $out == "$N8N_VERSION" ]] || { echo "n8n --version: expected $N8N_VERSION, got: $out"; return 1; }
  (cd "$app" && "$node24/bin/node" -e '
    const sqlite3 = require("sqlite3");
    const db = new sqlite3.Database(":memory:");
    db.get("select 41 + 1 as answer", (err, row) => {
      if (err || row.answer !== 42) { console.error("sqlite3 does not answer:", err ?? row); process.exit(1); }
      db.close();
    });
    new (require("isolated-vm").Isolate)({ memoryLimit: 8 }).dispose();
  ') || { echo "sqlite3 or isolated-vm does not load under Node $NODE24_VERSION"; return 1; }
}

if [[ ! -f $app/.complete ]]; then
  log "installing n8n $N8N_VERSION (several minutes the first time)"
  rm -rf "$app"
  mkdir -p "$app"
  # The pins keep n8n's dependency tree to versions the registry holds (linkedom, langgraph).
  cat >"$app/package.json" <<JSON
{ "name": "n8n-e2e", "private": true, "overrides": { "linkedom": "0.18.12", "@langchain/langgraph": "1.0.2" } }
JSON
  # Install without scripts (most of n8n's tree does not need them), then build exactly the native parts
  # n8n loads: sqlite3 (its database) and isolated-vm (its expression sandbox), from source.
  (cd "$app" &&
    npm install "n8n@$N8N_VERSION" --no-audit --no-fund --legacy-peer-deps --ignore-scripts=true >&2 &&
    npm rebuild sqlite3 isolated-vm --ignore-scripts=false --foreground-scripts >&2)
  if ! why=$(verify 2>&1); then
    log "the n8n install in $app does not work: $why"
    log "left without .complete: the next run installs it again"
    exit 1
  fi
  touch "$app/.complete"
  log "n8n $N8N_VERSION verified (Node $NODE24_VERSION, sqlite3 and isolated-vm load)"
fi
echo "$CACHE"
