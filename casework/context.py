"""Request-scoped facts that the audit trail records (client IP), carried in a context var."""

from django.conf import settings

from core.audit import client_ip


class AuditContextMiddleware:
    """Remember the client's IP for the duration of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request_client_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


def request_client_ip(request) -> str | None:
    """The client's IP: behind TRUSTED_PROXY_COUNT proxies, the address the outermost trusted
    proxy appended to X-Forwarded-For (entries further left are client-supplied)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
