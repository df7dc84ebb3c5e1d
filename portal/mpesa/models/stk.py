"""STK records (issue 15)."""

__all__: list[str] = []
