"""OpenAPI post-processing: the error format every endpoint answers with."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable code, a human message and per-field messages.",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["code", "message", "fields"],
}


def document_error_responses(result, generator, request, public):
    """Give every operation a `default` response: the JSON error body (400, 403, 404, 413, ...)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"get", "put", "post", "patch", "delete", "head", "options"}:
                operation["responses"].setdefault("default", error)
    return result
