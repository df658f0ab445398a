"""The default database connection, typed as what it is: django-tenants' wrapper.

settings.DATABASES names django-tenants' PostgreSQL backend, whose connection adds the schema
methods (`set_schema`, `set_schema_to_public`, `schema_name`, ...). Django's stubs type
`django.db.connection` as the base wrapper, without them; this is the same object, cast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import connection as default_connection

if TYPE_CHECKING:
    from django_tenants.postgresql_backend.base import DatabaseWrapper

connection = cast("DatabaseWrapper", default_connection)
