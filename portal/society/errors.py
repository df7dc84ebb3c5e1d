"""Exceptions every layer may raise and every face knows how to answer."""

from django.core.exceptions import ValidationError


class StateConflict(ValidationError):
    """The action is valid but the record's current state forbids it (a loan already disbursed, a batch already
    posted). The API answers 409 Conflict (portal/api/exceptions.py); the admin and the portal show the message.

    A ValidationError too, so the services' state errors (LoanStateError, BatchNotProcessable) that callers catch as
    ValidationErrors still are, and a face that shows a ValidationError's messages shows this one's. Read the text
    from `.messages`, as for any ValidationError."""
