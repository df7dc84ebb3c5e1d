"""C2B (issue 15): MpesaReceipt, one per M-Pesa receipt number."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mpesa", "0001_initial"),
        ("finance", "0011_journal_refuses_truncate"),
        ("members", "0022_user_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MpesaReceipt",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("trans_id", models.CharField(max_length=40, unique=True, verbose_name="M-Pesa receipt")),
                (
                    "channel",
                    models.CharField(
                        choices=[("c2b", "Paybill (C2B)"), ("stk", "Lipa na M-Pesa (STK push)")],
                        default="c2b",
                        max_length=5,
                    ),
                ),
                ("purpose", models.CharField(max_length=20)),
                (
                    "reference",
                    models.CharField(
                        blank=True,
                        help_text="The account reference as the payer typed it.",
                        max_length=100,
                        verbose_name="account reference",
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("paid_at", models.DateTimeField()),
                (
                    "phone",
                    models.CharField(
                        blank=True,
                        help_text="As Daraja sent it (newer APIs send it masked or hashed).",
                        max_length=64,
                    ),
                ),
                ("payer_name", models.CharField(blank=True, max_length=150)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("posted", "Posted"),
                            ("unallocated", "Waiting in unallocated receipts"),
                            ("allocated", "Allocated by staff"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "note",
                    models.CharField(blank=True, help_text="Why the money went where it went.", max_length=255),
                ),
                ("allocated_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "allocated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "bank_account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="finance.bankaccount"
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mpesa_receipts",
                        to="finance.journalentry",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mpesa_receipts",
                        to="members.member",
                    ),
                ),
            ],
            options={
                "verbose_name": "M-Pesa receipt",
                "ordering": ["-paid_at", "-created_at"],
                "indexes": [models.Index(fields=["status", "paid_at"], name="mpesa_receipt_status")],
            },
        ),
    ]
