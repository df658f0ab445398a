#!/bin/sh
# Terpadu container entrypoint: prepares the role, then execs the command it was given.
#
#   gunicorn ...   web role. With MIGRATE_ON_START=1 it first runs
#                  `python -m django migrate_schemas --noinput` (the same command as
#                  `python manage.py migrate_schemas --noinput`; manage.py is not in the image,
#                  the installed package and DJANGO_SETTINGS_MODULE are). Leave it unset / 0 when
#                  several web replicas start together and run the migration as a one-off job.
#   celery ...     worker / beat: never migrates.
#   anything else  run as is, e.g. `python -m django migrate_schemas --noinput` or a shell.
set -eu

# gunicorn reads WEB_CONCURRENCY itself but fails on an empty value: default it here.
if [ -z "${WEB_CONCURRENCY:-}" ]; then
    WEB_CONCURRENCY=2
fi
export WEB_CONCURRENCY

role=other
case "${1:-}" in
    gunicorn | */gunicorn) role=web ;;
    celery | */celery) role=celery ;;
esac

if [ "$role" = web ]; then
    case "$(printf '%s' "${MIGRATE_ON_START:-0}" | tr '[:upper:]' '[:lower:]')" in
        1 | true | yes | on)
            echo "entrypoint: MIGRATE_ON_START is set, running migrate_schemas" >&2
            python -m django migrate_schemas --noinput
            ;;
    esac
fi

exec "$@"
