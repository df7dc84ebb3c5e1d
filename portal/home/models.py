"""Public pages of the cooperative's website."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock, DocumentLinkBlock, FaqItemBlock, HeadingBlock


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
