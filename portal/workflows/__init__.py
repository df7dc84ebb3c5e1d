"""Wagtail workflow tasks and handlers (committee quorum, maker-checker) for approval objects."""
