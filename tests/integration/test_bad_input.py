"""Issue 12: bad input of any shape is a 400 naming the field (or the query parameter), never a 500.

Amounts go through one parser (portal/finance/money.py) on every money path; ids and dates in a query string go
through portal/api/params.py."""

import uuid

import pytest
from rest_framework.test import APIClient

from portal.members import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def treasurer_api(staff_user):
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    return api


@pytest.mark.parametrize("pk", ["abc", "", "1", "' OR 1=1 --"])
def test_statement_download_with_a_malformed_pk_is_a_400_naming_pk(treasurer_api, pk):
    response = treasurer_api.get("/api/reports/financial-statements/", {"output": "csv", "pk": pk})
    assert response.status_code == 400, response.content
    assert "pk" in response.json()


def test_statement_download_without_pk_is_a_400_naming_pk(treasurer_api):
    response = treasurer_api.get("/api/reports/financial-statements/?output=csv")
    assert response.status_code == 400 and "pk" in response.json()


def test_statement_download_of_an_unknown_pack_is_a_404(treasurer_api):
    response = treasurer_api.get("/api/reports/financial-statements/", {"output": "csv", "pk": str(uuid.uuid4())})
    assert response.status_code == 404
