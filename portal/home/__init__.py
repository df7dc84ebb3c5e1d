"""The public website: Wagtail pages, site-wide SACCO settings, navigation and footer."""
