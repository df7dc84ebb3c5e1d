"""Year-end close (issue 18): the accounts 3300 Surplus for the year (the income summary the closing entry credits
with the year's surplus, emptied again by the appropriation) and 3110 General reserve (a reserve besides the
statutory one), and the "Surplus appropriation" workflow: two distinct approvers from the credit committee or the
administrators (never the preparer); its end posts the appropriation."""

from django.db import migrations

ACCOUNTS = [
    ("3110", "General reserve", "equity"),
    ("3300", "Surplus for the year", "equity"),
]


def create(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    for code, name, kind in ACCOUNTS:
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": kind})

    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Task = apps.get_model("workflows", "CommitteeQuorumTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="workflows", model="committeequorumtask")
    task = Task.objects.filter(name="Appropriation approval").first()
    if task is None:
        task = Task.objects.create(
            name="Appropriation approval", content_type=task_type, active=True, required_approvals=2
        )
    task.groups.set(Group.objects.filter(name__in=["Credit committee", "Administrators"]))
    workflow, _ = Workflow.objects.get_or_create(name="Surplus appropriation", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    record_type, _ = ContentType.objects.get_or_create(app_label="finance", model="surplusappropriation")
    WorkflowContentType.objects.update_or_create(content_type=record_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0019_year_end_close"),
        ("workflows", "0004_loan_approval_workflow"),
        ("members", "0031_roles_year_end"),
        ("wagtailcore", "__latest__"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
