#!/bin/sh
# Entry point of the image (docker/Dockerfile): `api` or `worker`, anything else is run as is
# (`docker compose run --rm worker sh` for a look inside).
set -eu

# Docker secrets named secret_key and admin_token (mounted under /run/secrets) stand in
# for SECRET_KEY and ADMIN_TOKEN when those are not set in the environment.
for pair in SECRET_KEY:secret_key ADMIN_TOKEN:admin_token; do
  var=${pair%%:*}
  file=/run/secrets/${pair#*:}
  eval "current=\${$var:-}"
  if [ -z "$current" ] && [ -r "$file" ]; then
    value=$(cat "$file")
    export "$var=$value"
  fi
done

command=${1:-api}
[ "$#" -gt 0 ] && shift
cd /app
case "$command" in
  api)
    # The HTTP API only: the workers run in their own containers.
    export RUN_WORKER=false
    exec node dist/main.js "$@"
    ;;
  worker)
    exec node dist/worker/main.js "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
