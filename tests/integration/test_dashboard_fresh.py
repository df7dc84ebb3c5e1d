"""Issue 17: the dashboard's figures are read from the ledger on each request, so a posting shows at once — never a
stale figure after a contribution or a share capital payment (and the chart's month includes it)."""

import pytest
from django.utils import timezone

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def test_a_posting_shows_on_the_dashboard_at_once(client, member):
    today = timezone.localdate()
    sign_in_verified(client, member.user)
    share_capital_payment_record(member=member, amount="1000", reference="S1", date=today)
    first = client.get("/portal/")
    assert first.context["balances"].deposits == 0 and first.context["series"][-1]["deposits"] == 0
    monthly_contribution_record(
        member=member, amount="2345.67", period=today.strftime("%Y-%m"), reference="C1", date=today
    )
    second = client.get("/portal/")
    assert str(second.context["balances"].deposits) == "2345.67"
    assert str(second.context["series"][-1]["deposits"]) == "2345.67"
    assert "2,345.67" in second.content.decode()
    share_capital_payment_record(member=member, amount="500", reference="S2", date=today)
    assert str(client.get("/portal/").context["balances"].share_capital) == "1500.00"
