"""The society's policy: the settings staff change in the admin without a deploy, read by every app."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from .money_fields import MoneyField
from .settings_memo import settings_forget, settings_memoized

RATE = {"max_digits": 7, "decimal_places": 4}


@register_setting(icon="cog")
class SaccoSettings(BaseGenericSetting):
    """Everything about the society that staff may change without a deploy: identity, contacts and the
    rules the money engine reads (share value, minimums, loan multiple, lockout).

    Defaults follow common Kenyan SACCO by-laws; each society sets its own in the admin.
    """

    name = models.CharField(max_length=150, default="Our SACCO Society Ltd")
    short_name = models.CharField(max_length=40, default="SACCO", help_text="Used in the header and emails.")
    tagline = models.CharField(max_length=200, blank=True, default="Save together, grow together.")
    registration_number = models.CharField(max_length=60, blank=True, help_text="Registrar of co-operatives number.")
    email = models.EmailField("office email", default="office@sacco.example")
    phone = models.CharField("office phone", max_length=30, blank=True, default="+254 700 000 000")
    physical_address = models.CharField(max_length=200, blank=True, default="Nairobi, Kenya")
    postal_address = models.CharField(max_length=120, blank=True, default="P.O. Box 00000-00100, Nairobi")
    office_hours = models.CharField(max_length=120, blank=True, default="Mon–Fri 8:00–17:00, Sat 9:00–13:00")
    mpesa_paybill = models.CharField("M-Pesa paybill", max_length=20, blank=True)
    footer_text = models.TextField(blank=True, default="Regulated by the Commissioner for Co-operative Development.")

    currency = models.CharField(max_length=3, default="KES")
    share_value = MoneyField(default=Decimal("1000.00"), validators=[MinValueValidator(Decimal("0.01"))])
    minimum_shares = models.PositiveIntegerField(default=20, validators=[MinValueValidator(1)])
    default_share_capital_term_months = models.PositiveSmallIntegerField(
        "default share capital term (months)", choices=[(12, "12 months"), (24, "24 months")], default=12
    )
    minimum_monthly_contribution = MoneyField(
        default=Decimal("1000.00"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    loan_multiple = models.DecimalField(
        "loan multiple of deposits",
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    minimum_membership_months = models.PositiveSmallIntegerField("membership months before a loan", default=6)
    max_active_guarantees = models.PositiveSmallIntegerField("loans one member may guarantee at once", default=3)
    guarantor_recovery_days = models.PositiveSmallIntegerField(
        "days past due before recovery from guarantors",
        default=90,
        validators=[MinValueValidator(1)],
        help_text="A loan this many days past due (or more) is in default: its guarantors may be called on.",
    )
    guarantees_shrink = models.BooleanField(
        "guarantees shrink as the loan is repaid",
        default=False,
        help_text="On: a guarantee holds only its share of the principal still owed, so the guarantor can borrow "
        "or guarantee again. Off: it holds its full amount until the loan closes.",
    )
    penalty_rate_monthly = models.DecimalField(
        "penalty rate (% per month on the overdue amount)",
        **RATE,
        default=Decimal("1.0000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    exit_notice_days = models.PositiveSmallIntegerField(
        "exit notice period (days)",
        default=60,
        help_text="Days between a member's notice to leave and the day their exit can be settled (by-laws).",
    )
    share_capital_on_exit = models.CharField(
        "share capital on exit",
        max_length=10,
        choices=[("transfer", "Transfer to another member only"), ("refund", "Transfer or refund")],
        default="transfer",
        help_text="The by-laws: whether an exiting member's share capital may be refunded or only transferred.",
    )
    withholding_tax_rate = models.DecimalField(
        "withholding tax on dividends (%)",
        **RATE,
        default=Decimal("5.0000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    statutory_reserve_rate = models.DecimalField(
        "statutory reserve (% of the year's surplus, at least 20)",
        **RATE,
        default=Decimal("20.0000"),
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("100"))],
        help_text="The share of each year's surplus the appropriation must put to the statutory reserve "
        "(the Co-operative Societies Act: at least 20 %; the by-laws may ask for more).",
    )
    provision_performing = models.DecimalField(
        "provision: performing (%)",
        **RATE,
        default=Decimal("1.0000"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provision_watch = models.DecimalField(
        "provision: watch, 1–30 days (%)",
        **RATE,
        default=Decimal("5.0000"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provision_substandard = models.DecimalField(
        "provision: substandard, 31–180 days (%)",
        **RATE,
        default=Decimal("25.0000"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provision_doubtful = models.DecimalField(
        "provision: doubtful, 181–360 days (%)",
        **RATE,
        default=Decimal("50.0000"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provision_loss = models.DecimalField(
        "provision: loss, over 360 days (%)",
        **RATE,
        default=Decimal("100.0000"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        "failed logins before lockout", default=5, validators=[MinValueValidator(1)]
    )
    invitation_valid_days = models.PositiveSmallIntegerField(
        "invitation links stay valid for (days)", default=7, validators=[MinValueValidator(1)]
    )
    lockout_minutes = models.PositiveIntegerField(
        "lockout period (minutes)", default=30, validators=[MinValueValidator(1)]
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldRowPanel([FieldPanel("short_name"), FieldPanel("registration_number")]),
                FieldPanel("tagline"),
            ],
            heading="Society",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
                FieldRowPanel([FieldPanel("physical_address"), FieldPanel("postal_address")]),
                FieldRowPanel([FieldPanel("office_hours"), FieldPanel("mpesa_paybill")]),
                FieldPanel("footer_text"),
            ],
            heading="Contacts",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("currency"), FieldPanel("share_value"), FieldPanel("minimum_shares")]),
                FieldRowPanel(
                    [FieldPanel("default_share_capital_term_months"), FieldPanel("minimum_monthly_contribution")]
                ),
            ],
            heading="Shares and savings",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("loan_multiple"), FieldPanel("minimum_membership_months")]),
                FieldRowPanel([FieldPanel("max_active_guarantees"), FieldPanel("penalty_rate_monthly")]),
                FieldRowPanel([FieldPanel("guarantor_recovery_days"), FieldPanel("guarantees_shrink")]),
                FieldRowPanel([FieldPanel("withholding_tax_rate"), FieldPanel("statutory_reserve_rate")]),
                FieldRowPanel([FieldPanel("exit_notice_days"), FieldPanel("share_capital_on_exit")]),
                FieldRowPanel([FieldPanel("provision_performing"), FieldPanel("provision_watch")]),
                FieldRowPanel(
                    [
                        FieldPanel("provision_substandard"),
                        FieldPanel("provision_doubtful"),
                        FieldPanel("provision_loss"),
                    ]
                ),
            ],
            heading="Loans and dividends",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("lockout_threshold"), FieldPanel("lockout_minutes")]),
                FieldPanel("invitation_valid_days"),
            ],
            heading="Security",
        ),
    ]

    @classmethod
    def _get_or_create(cls):
        # Once per request, however many views, selectors and templates read it (issue 17; settings_memo.py).
        return settings_memoized(cls, super()._get_or_create)

    class Meta:
        verbose_name = "SACCO settings"
        # The table keeps the name it had when the model lived in the public-site app (moved by issue 13).
        db_table = "home_saccosettings"

    @property
    def share_capital_target(self) -> Decimal:
        """The share capital every member must hold: share value × minimum number of shares."""
        return (self.share_value * self.minimum_shares).quantize(Decimal("0.01"))


post_save.connect(settings_forget, sender=SaccoSettings, dispatch_uid="society_settings_memo_saved")
post_delete.connect(settings_forget, sender=SaccoSettings, dispatch_uid="society_settings_memo_deleted")
