"""STK push records, and the django-q2 job that asks Daraja about pushes whose callback never came (every minute;
created once, changed under Django Q)."""

import django.db.models.deletion
from django.db import migrations, models

from portal.society.q2_schedules import DJANGO_Q_DEPENDENCY, schedule_operation


class Migration(migrations.Migration):
    dependencies = [("members", "0022_user_language"), ("mpesa", "0002_c2b"), DJANGO_Q_DEPENDENCY]

    operations = [
        migrations.CreateModel(
            name="StkPush",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "phone",
                    models.CharField(help_text="Stored as +2547XXXXXXXX.", max_length=20, verbose_name="phone number"),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount")),
                ("purpose", models.CharField(max_length=20, verbose_name="purpose")),
                ("account_reference", models.CharField(blank=True, max_length=20)),
                ("merchant_request_id", models.CharField(blank=True, max_length=64)),
                ("checkout_request_id", models.CharField(blank=True, max_length=64, null=True, unique=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for you to confirm on your phone"),
                            ("paid", "Paid"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("result_code", models.CharField(blank=True, max_length=20)),
                ("result_desc", models.CharField(blank=True, max_length=255)),
                ("mpesa_receipt_number", models.CharField(blank=True, db_index=True, max_length=40)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("settled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "queried_at",
                    models.DateTimeField(blank=True, help_text="When Daraja was last asked about it.", null=True),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="stk_pushes", to="members.member"
                    ),
                ),
            ],
            options={
                "verbose_name": "M-Pesa STK push",
                "ordering": ["-created_at", "-pk"],
                "indexes": [models.Index(fields=["status", "created_at"], name="mpesa_stk_status")],
            },
        ),
        schedule_operation(
            func="portal.mpesa.stk.stk_pushes_query",
            name="Ask M-Pesa about STK pushes with no callback",
            at=None,
            schedule_type="I",
            minutes=1,
        ),
    ]
