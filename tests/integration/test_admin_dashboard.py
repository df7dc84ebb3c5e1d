"""R8: the admin home shows the society's figures from the ledger to roles that read it, and not to others."""

import pytest

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def test_the_figures_panel(client, member, staff_user):
    share_capital_payment_record(member=member, amount="12345.67", reference="sc")
    monthly_contribution_record(member=member, amount="2500", period="2026-01", reference="dep")
    sign_in_verified(client, staff_user(roles.TREASURER))
    page = client.get("/admin/").content.decode()
    assert "The society today" in page and "12,345.67" in page and "2,500.00" in page
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert "The society today" not in client.get("/admin/").content.decode()
