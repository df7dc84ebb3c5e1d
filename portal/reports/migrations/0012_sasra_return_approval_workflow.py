"""The "SASRA returns approval" workflow (issue 18): two distinct approvers from the credit committee or the
administrators (never the preparer) approve a SASRA returns snapshot — the same way, and with the same task, as the
financial statements (0002)."""

from django.db import migrations


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Task = apps.get_model("workflows", "CommitteeQuorumTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="workflows", model="committeequorumtask")
    task = Task.objects.filter(name="SASRA returns approval").first()
    if task is None:
        task = Task.objects.create(
            name="SASRA returns approval", content_type=task_type, active=True, required_approvals=2
        )
    task.groups.set(Group.objects.filter(name__in=["Credit committee", "Administrators"]))
    workflow, _ = Workflow.objects.get_or_create(name="SASRA returns approval", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    record_type, _ = ContentType.objects.get_or_create(app_label="reports", model="sasrareturn")
    WorkflowContentType.objects.update_or_create(content_type=record_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_sasra_return"),
        ("workflows", "0004_loan_approval_workflow"),
        ("members", "0014_roles_reports"),
        ("wagtailcore", "__latest__"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
