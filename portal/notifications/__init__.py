"""Notifications: email after commit, an in-portal inbox, and a pluggable SMS backend."""
