"""Stable error codes of the tenants app."""

SLUG_INVALID = "slug_invalid"
SLUG_RESERVED = "slug_reserved"
SLUG_TAKEN = "slug_taken"
PROVISIONING_FAILED = "provisioning_failed"
CONSORTIUM_UNKNOWN = "consortium_unknown"
TENANT_INACTIVE = "tenant_inactive"
