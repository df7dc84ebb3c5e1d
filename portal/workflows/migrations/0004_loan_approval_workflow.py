"""The "Loan approval" workflow: a loans officer's appraisal, then the credit committee (two distinct members).

Administrators change the groups or the quorum under Settings → Workflows / Tasks.
"""

from django.db import migrations


def _task(apps, model, name, groups, **fields):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Task = apps.get_model("workflows", model)
    task_type, _ = ContentType.objects.get_or_create(app_label="workflows", model=model.lower())
    task = Task.objects.filter(name=name).first()
    if task is None:
        task = Task.objects.create(name=name, content_type=task_type, active=True, **fields)
    task.groups.set(Group.objects.filter(name__in=groups))
    return task


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    appraisal = _task(apps, "ReviewTask", "Loans officer appraisal", ["Loans officers", "Administrators"])
    committee = _task(apps, "CommitteeQuorumTask", "Credit committee", ["Credit committee"], required_approvals=2)
    workflow, _ = Workflow.objects.get_or_create(name="Loan approval", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=appraisal, defaults={"sort_order": 0})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=committee, defaults={"sort_order": 1})
    review_type, _ = ContentType.objects.get_or_create(app_label="loans", model="loanreview")
    WorkflowContentType.objects.update_or_create(content_type=review_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_committeequorumtask_committeevote"),
        ("loans", "0005_loanreview"),
        ("members", "0013_roles_loan_review"),
        ("wagtailcore", "__latest__"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
