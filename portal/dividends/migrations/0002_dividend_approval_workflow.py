"""The "Dividend approval" workflow: two distinct approvers from the credit committee or the administrators (never
the preparer); its end posts the dividends."""

from django.db import migrations


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Task = apps.get_model("workflows", "CommitteeQuorumTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="workflows", model="committeequorumtask")
    task = Task.objects.filter(name="Dividend approval").first()
    if task is None:
        task = Task.objects.create(name="Dividend approval", content_type=task_type, active=True, required_approvals=2)
    task.groups.set(Group.objects.filter(name__in=["Credit committee", "Administrators"]))
    workflow, _ = Workflow.objects.get_or_create(name="Dividend approval", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    declaration_type, _ = ContentType.objects.get_or_create(app_label="dividends", model="dividenddeclaration")
    WorkflowContentType.objects.update_or_create(content_type=declaration_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("dividends", "0001_initial"),
        ("workflows", "0004_loan_approval_workflow"),
        ("members", "0015_roles_dividends"),
        ("wagtailcore", "__latest__"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
