"""Loan products (L1) and the public loan calculator page (S2). Loans themselves arrive with the rest of issue 5."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Page

from .schedule import Method

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}


class FeeTreatment(models.TextChoices):
    DEDUCTED = "deducted", "Deducted from the amount paid out"
    CAPITALISED = "capitalised", "Added to the loan"


class LoanProduct(models.Model):
    """A kind of loan the SACCO offers. Every rate and limit here is what the calculator, eligibility and
    disbursement read; changing a product never changes loans already given."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    summary = models.CharField(max_length=255, help_text="One sentence for the product list.")
    description = models.TextField(blank=True)
    annual_rate = models.DecimalField(
        "interest rate (% a year)", **RATE, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    method = models.CharField(max_length=20, choices=Method.CHOICES, default=Method.ANNUITY)
    min_term_months = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    max_term_months = models.PositiveSmallIntegerField(default=36, validators=[MinValueValidator(1)])
    min_amount = models.DecimalField(**MONEY, default=Decimal("1000.00"), validators=[MinValueValidator(Decimal("1"))])
    max_amount = models.DecimalField(**MONEY, default=Decimal("1000000.00"))
    deposits_multiple = models.DecimalField(
        "multiple of deposits",
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    guarantors_required = models.PositiveSmallIntegerField(default=2)
    processing_fee_percent = models.DecimalField(**RATE, default=Decimal("1.0000"), validators=[MinValueValidator(0)])
    insurance_fee_percent = models.DecimalField(**RATE, default=Decimal("0.5000"), validators=[MinValueValidator(0)])
    fee_treatment = models.CharField(max_length=12, choices=FeeTreatment.choices, default=FeeTreatment.DEDUCTED)
    penalty_rate_monthly = models.DecimalField(
        "penalty (% a month of the overdue amount)",
        **RATE,
        default=Decimal("1.0000"),
        validators=[MinValueValidator(0)],
    )
    grace_months = models.PositiveSmallIntegerField(
        default=0, help_text="Months between disbursement and the first instalment, beyond the usual one."
    )
    active = models.BooleanField(default=True, help_text="Inactive products take no new applications.")

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("summary"), FieldPanel("description")],
            heading="Product",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("annual_rate"), FieldPanel("method")]),
                FieldRowPanel([FieldPanel("min_term_months"), FieldPanel("max_term_months")]),
                FieldRowPanel([FieldPanel("min_amount"), FieldPanel("max_amount")]),
                FieldRowPanel([FieldPanel("deposits_multiple"), FieldPanel("guarantors_required")]),
            ],
            heading="Terms",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("processing_fee_percent"), FieldPanel("insurance_fee_percent")]),
                FieldPanel("fee_treatment"),
                FieldRowPanel([FieldPanel("penalty_rate_monthly"), FieldPanel("grace_months")]),
            ],
            heading="Fees and penalties",
        ),
        FieldPanel("active"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.max_term_months is not None and self.min_term_months and self.max_term_months < self.min_term_months:
            errors["max_term_months"] = "The longest term cannot be shorter than the shortest."
        if self.max_amount is not None and self.min_amount is not None and self.max_amount < self.min_amount:
            errors["max_amount"] = "The largest amount cannot be smaller than the smallest."
        if errors:
            raise ValidationError(errors)

    @property
    def is_flat(self) -> bool:
        return self.method == Method.FLAT


class LoanCalculatorPage(Page):
    """The public loan calculator: pick a product, an amount and a term; the schedule is computed on the server
    (it works without JavaScript) from the product's own rate and method."""

    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from .calculator import calculator_context

        context = super().get_context(request, *args, **kwargs)
        context.update(calculator_context(request.GET))
        return context
