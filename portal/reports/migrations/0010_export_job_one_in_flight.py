"""One export waiting or building per person and export (issue 14 review): a fingerprint of (kind, params, output)
and a partial unique constraint on (requested_by, fingerprint) while the job is queued or running. Jobs already in
flight get their fingerprint; of any duplicates, all but the newest are marked failed so the constraint can be made."""

import hashlib
import json

from django.db import migrations, models


def _fingerprint(kind, params, output):
    # The same as portal.reports.models.export_fingerprint, frozen here as it was when this migration was written.
    text = json.dumps([kind, {str(k): str(v) for k, v in (params or {}).items()}, output], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints_fill(apps, schema_editor):
    ExportJob = apps.get_model("reports", "ExportJob")
    seen = set()
    for job in ExportJob.objects.order_by("-created_at").iterator():
        job.fingerprint = _fingerprint(job.kind, job.params, job.output)
        fields = ["fingerprint"]
        key = (job.requested_by_id, job.fingerprint)
        if job.status in ("queued", "running"):
            if key in seen:
                job.status, job.error = "failed", "Replaced by a newer request for the same export."
                fields += ["status", "error"]
            seen.add(key)
        job.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_export_prune_schedule")]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="fingerprint",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(fingerprints_fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="exportjob",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["queued", "running"]), models.Q(("fingerprint", ""), _negated=True)),
                fields=("requested_by", "fingerprint"),
                name="reports_exportjob_one_in_flight",
            ),
        ),
    ]
