"""The REST API: routes that mirror the seed document's hyphenated paths, JWT authentication."""
