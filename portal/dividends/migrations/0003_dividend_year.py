"""One declaration holds a financial year at a time (issue 12): the DividendYear table, filled for the declarations
already there — the posted one of a year, else the earliest still in approval."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def hold_existing_years(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    WorkflowState = apps.get_model("wagtailcore", "WorkflowState")
    Declaration = apps.get_model("dividends", "DividendDeclaration")
    Posting = apps.get_model("dividends", "DividendPosting")
    DividendYear = apps.get_model("dividends", "DividendYear")
    holders = {p.financial_year: p.declaration_id for p in Posting.objects.all()}
    content_type = ContentType.objects.filter(app_label="dividends", model="dividenddeclaration").first()
    if content_type is not None:
        in_approval = set(
            WorkflowState.objects.filter(base_content_type=content_type, status="in_progress").values_list(
                "object_id", flat=True
            )
        )
        for declaration in Declaration.objects.order_by("prepared_at"):
            if str(declaration.pk) in in_approval:
                holders.setdefault(declaration.financial_year, declaration.pk)
    DividendYear.objects.bulk_create(
        [DividendYear(financial_year=year, declaration_id=pk) for year, pk in sorted(holders.items())]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dividends", "0002_dividend_approval_workflow"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="DividendYear",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("financial_year", models.PositiveSmallIntegerField(unique=True)),
                ("held_since", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "declaration",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="year_hold",
                        to="dividends.dividenddeclaration",
                    ),
                ),
            ],
        ),
        migrations.RunPython(hold_existing_years, migrations.RunPython.noop),
    ]
