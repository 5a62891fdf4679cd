#!/bin/sh
# Runs in temporalio/admin-tools (docker/compose.yaml), once per `up`; both steps are idempotent.
#   schema     creates the `temporal` and `temporal_visibility` databases in Postgres and
#              brings their schemas to the version this admin-tools release ships
#   namespace  registers TEMPORAL_NAMESPACE (7 days of history retention) once the server answers
set -eu

case "${1:-}" in
  schema)
    : "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
    port=${DB_PORT:-5432}
    until nc -z "$POSTGRES_SEEDS" "$port"; do echo "waiting for Postgres at $POSTGRES_SEEDS:$port"; sleep 1; done
    for db in temporal temporal_visibility; do
      dir=temporal
      [ "$db" = temporal_visibility ] && dir=visibility
      sql="temporal-sql-tool --plugin postgres12 --ep $POSTGRES_SEEDS -p $port -u $POSTGRES_USER --db $db"
      $sql create                                  # a database that exists already is fine
      $sql setup-schema -v 0.0                     # keeps a newer version as it is
      $sql update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
    done
    echo "Temporal schemas are up to date"
    ;;
  namespace)
    : "${TEMPORAL_ADDRESS:?}"
    ns=${TEMPORAL_NAMESPACE:-default}
    tries=0
    until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
      tries=$((tries + 1))
      [ "$tries" -ge 60 ] && { echo "Temporal at $TEMPORAL_ADDRESS is not serving"; exit 1; }
      sleep 2
    done
    if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$ns" >/dev/null 2>&1; then
      echo "namespace $ns exists"
    else
      temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$ns" --retention 168h
      echo "namespace $ns created"
    fi
    ;;
  *)
    echo "usage: temporal-setup.sh schema|namespace" >&2
    exit 2
    ;;
esac
