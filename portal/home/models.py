"""Public pages of the cooperative's website and the SACCO-wide settings."""

from decimal import Decimal

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock, DocumentLinkBlock, FaqItemBlock, HeadingBlock

MONEY = {"max_digits": 14, "decimal_places": 2}
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
    share_value = models.DecimalField(
        **MONEY, default=Decimal("1000.00"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    minimum_shares = models.PositiveIntegerField(default=20, validators=[MinValueValidator(1)])
    default_share_capital_term_months = models.PositiveSmallIntegerField(
        "default share capital term (months)", choices=[(12, "12 months"), (24, "24 months")], default=12
    )
    minimum_monthly_contribution = models.DecimalField(
        **MONEY, default=Decimal("1000.00"), validators=[MinValueValidator(Decimal("0.01"))]
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
    penalty_rate_monthly = models.DecimalField(
        "penalty rate (% per month on the overdue amount)",
        **RATE,
        default=Decimal("1.0000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    withholding_tax_rate = models.DecimalField(
        "withholding tax on dividends (%)",
        **RATE,
        default=Decimal("5.0000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
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
                FieldPanel("withholding_tax_rate"),
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

    class Meta:
        verbose_name = "SACCO settings"

    @property
    def share_capital_target(self) -> Decimal:
        """The share capital every member must hold: share value × minimum number of shares."""
        return (self.share_value * self.minimum_shares).quantize(Decimal("0.01"))


class HomePage(Page):
    """The landing page: a hero with the society's promise, editor-built sections and the latest news."""

    hero_heading = models.CharField(max_length=120, default="Save together, grow together")
    hero_text = models.TextField(blank=True)
    hero_button_text = models.CharField(max_length=40, blank=True, default="How to join")
    hero_button_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("hero_heading"),
                FieldPanel("hero_text"),
                FieldRowPanel([FieldPanel("hero_button_text"), FieldPanel("hero_button_page")]),
            ],
            heading="Hero",
        ),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("hero_text"), index.SearchField("body")]
    max_count = 1
    subpage_types = [
        "home.StandardPage",
        "home.NewsIndexPage",
        "home.FaqPage",
        "home.DownloadsPage",
        "home.ContactPage",
    ]

    class Meta:
        verbose_name = "home page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["latest_news"] = (
            NewsPage.objects.live().public().descendant_of(self).order_by("-date", "-first_published_at")[:3]
        )
        return context


class StandardPage(Page):
    """A content page: about us, membership, governance, savings products."""

    intro = models.TextField(blank=True, help_text="One or two sentences shown under the title.")
    body = StreamField(BodyBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["home.StandardPage", "home.DownloadsPage", "home.FaqPage", "home.ContactPage"]

    class Meta:
        verbose_name = "standard page"


class NewsIndexPage(Page):
    """Lists news and announcements, newest first, ten to a page."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["home.NewsPage"]
    max_count = 1
    per_page = 10

    class Meta:
        verbose_name = "news index page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = NewsPage.objects.live().public().child_of(self).order_by("-date", "-first_published_at")
        paginator = Paginator(articles, self.per_page)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            page = paginator.page(1)
        context["articles"] = page
        return context


class NewsPage(Page):
    """A news article or announcement (AGM notices, dividend payouts, new products)."""

    date = models.DateField("post date", default=timezone.localdate)
    intro = models.TextField(help_text="A short summary shown in lists.")
    body = StreamField(BodyBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("date"), FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["home.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "news article"


class FaqPage(Page):
    """Frequently asked questions, grouped by headings; answers open without JavaScript (<details>)."""

    intro = models.TextField(blank=True)
    body = StreamField([("heading", HeadingBlock()), ("question", FaqItemBlock())], blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    subpage_types = []

    class Meta:
        verbose_name = "FAQ page"


class DownloadsPage(Page):
    """By-laws, forms and reports as Wagtail documents."""

    intro = models.TextField(blank=True)
    body = StreamField([("heading", HeadingBlock()), ("document", DocumentLinkBlock())], blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    subpage_types = []

    class Meta:
        verbose_name = "downloads page"


class ContactFormField(AbstractFormField):
    page = ParentalKey("ContactPage", on_delete=models.CASCADE, related_name="form_fields")


class ContactPage(AbstractEmailForm):
    """The contact form: every submission is stored (Forms in the admin) and emailed to the office."""

    form_intro = RichTextField(blank=True, features=["bold", "italic", "link"])
    thank_you_text = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = AbstractEmailForm.content_panels + [
        FormSubmissionsPanel(),
        FieldPanel("form_intro"),
        InlinePanel("form_fields", label="Form fields"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]), FieldPanel("subject")],
            heading="Email to the office",
        ),
    ]
    subpage_types = []

    class Meta:
        verbose_name = "contact page"

    def get_form_fields(self):
        return self.form_fields.all()
