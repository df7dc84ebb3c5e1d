"""Exceptions every layer may raise and every face knows how to answer."""


class StateConflict(Exception):
    """The action is valid but the record's current state forbids it (a loan already disbursed, a batch already
    posted). The API answers 409 Conflict; the admin and the portal show the message."""
