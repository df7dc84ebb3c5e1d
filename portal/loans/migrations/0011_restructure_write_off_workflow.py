"""The "Loan restructure and write-off" workflow (issue 16): two distinct credit committee members approve (never
the preparer, never the borrower: LoanRestructure/LoanWriteOff.conflicted_user_ids); one may reject with a reason.
Administrators change the groups or the quorum under Settings → Workflows / Tasks."""

from django.db import migrations

NAME = "Loan restructure and write-off"


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Task = apps.get_model("workflows", "CommitteeQuorumTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="workflows", model="committeequorumtask")
    task = Task.objects.filter(name=NAME).first()
    if task is None:
        task = Task.objects.create(name=NAME, content_type=task_type, active=True, required_approvals=2)
    task.groups.set(Group.objects.filter(name__in=["Credit committee"]))
    workflow, _ = Workflow.objects.get_or_create(name=NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    for model in ("loanrestructure", "loanwriteoff"):
        record_type, _ = ContentType.objects.get_or_create(app_label="loans", model=model)
        WorkflowContentType.objects.update_or_create(content_type=record_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0010_restructure_write_off"),
        ("workflows", "0004_loan_approval_workflow"),
        ("members", "0025_roles_loan_restructure_write_off"),
        ("wagtailcore", "__latest__"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
