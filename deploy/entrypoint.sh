#!/bin/sh
# Secrets as files (compose `secrets:`, a Kubernetes Secret volume): each readable, non-empty
# file in $SECRETS_DIR (default /run/secrets) becomes the environment variable of its name in
# capitals (link_secret -> LINK_SECRET), unless that variable is already set. Then the part
# named by the command runs as this process (signals reach it directly).
set -eu
secrets_dir=${SECRETS_DIR:-/run/secrets}
if [ -d "$secrets_dir" ]; then
    for file in "$secrets_dir"/*; do
        [ -f "$file" ] && [ -r "$file" ] && [ -s "$file" ] || continue
        name=$(basename "$file" | tr '[:lower:]-' '[:upper:]_')
        case $name in
            *[!A-Z0-9_]* | [0-9]*) continue ;; # not a variable name
        esac
        if eval "[ -z \"\${$name+set}\" ]"; then
            value=$(cat "$file")
            export "$name=$value"
        fi
    done
fi
exec "$@"
