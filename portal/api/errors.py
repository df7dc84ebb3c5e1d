"""One way to turn a service's ValidationError into a 400 that names the fields."""

from django.core.exceptions import ValidationError
from rest_framework import status
from rest_framework.response import Response


def validation_error_response(exc: ValidationError) -> Response:
    body = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)
