"""The "KYC review" workflow: Clerks (the KYC officers) and Administrators approve or reject with a reason."""

from django.db import migrations


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    ReviewTask = apps.get_model("workflows", "ReviewTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="workflows", model="reviewtask")
    task = ReviewTask.objects.filter(name="KYC check").first()
    if task is None:
        task = ReviewTask.objects.create(name="KYC check", content_type=task_type, active=True)
    task.groups.set(Group.objects.filter(name__in=["Clerks", "Administrators"]))
    workflow, _ = Workflow.objects.get_or_create(name="KYC review", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    document_type, _ = ContentType.objects.get_or_create(app_label="members", model="kycdocument")
    WorkflowContentType.objects.update_or_create(content_type=document_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("members", "0005_kycdocument_kycdecision"),
        ("members", "0002_roles"),
        ("wagtailcore", "__latest__"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
