#!/usr/bin/env bash
# Start Bugtrack in one role. The Docker image's ENTRYPOINT, and just as good on bare metal:
#   docker/entrypoint.sh web      check --deploy, migrate, first admin, then gunicorn (bugtrack/gunicorn.conf.py)
#   docker/entrypoint.sh worker   check --deploy, wait for migrations, then the background
#                                 commands (digest worker, alert sender): serve --background-only
#   docker/entrypoint.sh all      check --deploy, migrate, then both: manage.py serve
#   docker/entrypoint.sh manage ARGS...   any management command, e.g. `manage createproject x`
# Paths come from this script's own location; BIND sets the address (default: 127.0.0.1 on
# BASE_URL's port if it names one, else 127.0.0.1:8000; gunicorn.conf.py and serve read it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# The image puts its virtualenv on PATH; a checkout uses its own .venv if it has one.
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then PYTHON="$root/.venv/bin/python"; else PYTHON=python3; fi
fi
role="${1:-web}"
shift || true

manage() { "$PYTHON" "$root/manage.py" "$@"; }

wait_for_migrations() {
    # The web (or all) role migrates; workers wait instead of racing it.
    for _ in $(seq 1 "${MIGRATION_WAIT_SECONDS:-120}"); do
        manage migrate --check >/dev/null 2>&1 && return 0
        sleep 1
    done
    echo "entrypoint: migrations still not applied; is a web container running?" >&2
    return 1
}

case "$role" in
    web|all|worker)
        manage check --deploy --fail-level ERROR
        if [[ "$role" == worker ]]; then
            wait_for_migrations
        else
            manage migrate --noinput
            manage ensureadmin  # first start only: creates the admin from BUGTRACK_ADMIN_*
        fi
        ;;
esac

case "$role" in
    web) exec "$PYTHON" -m gunicorn -c "$root/bugtrack/gunicorn.conf.py" bugtrack.wsgi "$@" ;;
    worker) exec "$PYTHON" "$root/manage.py" serve --background-only "$@" ;;
    all) exec "$PYTHON" "$root/manage.py" serve "$@" ;;
    manage) exec "$PYTHON" "$root/manage.py" "$@" ;;
    *) echo "usage: $0 web|worker|all|manage [args...]" >&2; exit 64 ;;
esac
