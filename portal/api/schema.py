"""OpenAPI schema hooks."""


def only_public_api(endpoints):
    """Document the SACCO API under /api/ only; Wagtail's internal admin API is not part of the contract."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
