"""Public pages of the cooperative's website."""

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.http import Http404
from django.utils import timezone, translation
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Page
from wagtail.search import index
from wagtail.url_routing import RouteResult

from .blocks import BodyBlock, DocumentLinkBlock, FaqItemBlock, HeadingBlock


def reading_english() -> bool:
    """True when the active language is the default one (English): no lookups then, the pages are as before."""
    active = translation.get_language() or settings.LANGUAGE_CODE
    try:
        return get_supported_content_language_variant(active) == get_supported_content_language_variant(
            settings.LANGUAGE_CODE
        )
    except LookupError:
        return True


def localized_live(page):
    """The live translation of `page` in the active language, else `page` itself: a Kiswahili reader sees the
    English page wherever no Kiswahili copy is published (never a 404)."""
    if page is None or reading_english():
        return page
    return page.specific.localized.specific


def localized_live_pages(pages) -> list:
    """`localized_live` for a list of pages in two queries (the locale and the translations), for menus and lists."""
    pages = list(pages)
    if not pages or reading_english():
        return pages
    try:
        locale = Locale.get_active()
    except (LookupError, Locale.DoesNotExist):
        return pages
    keys = [page.translation_key for page in pages]
    translations = {
        page.translation_key: page
        for page in Page.objects.filter(translation_key__in=keys, locale=locale).live().specific()
    }
    return [translations.get(page.translation_key, page) for page in pages]


def english_version(page):
    """The default-locale (English) version of `page`: the English tree defines the public URLs and lists. An
    English reader is served English pages only: no lookup then."""
    if reading_english() or page.locale_id == Locale.get_default().pk:
        return page
    return page.get_translation_or_none(Locale.get_default()) or page


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

    def route(self, request, path_components):
        """Route in the English tree, then serve the page's live translation in the active language.

        Wagtail routes from `site.root_page.localized`, i.e. from the Kiswahili tree for a Kiswahili reader, where
        a page that has no published copy would be a 404. Routing the English tree keeps one set of URLs and
        falls back to the English page; a path found only in the Kiswahili tree (an editor changed a slug there)
        is still routed there."""
        english = english_version(self)
        if english is self:  # an English reader, or no Kiswahili home page published: Wagtail's own routing
            result = super().route(request, path_components)
            translated = localized_live(result.page)
            return result if translated is result.page else RouteResult(translated, result.args, result.kwargs)
        try:
            result = super(HomePage, english).route(request, path_components)
        except Http404:  # a path found only in the Kiswahili tree
            return super().route(request, path_components)
        translated = localized_live(result.page)
        return result if translated is result.page else RouteResult(translated, result.args, result.kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        english = english_version(self)
        news = NewsPage.objects.live().public().descendant_of(english).order_by("-date", "-first_published_at")[:3]
        context["latest_news"] = news if reading_english() else localized_live_pages(news)
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
        english = english_version(self)
        articles = NewsPage.objects.live().public().child_of(english).order_by("-date", "-first_published_at")
        paginator = Paginator(articles, self.per_page)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            page = paginator.page(1)
        if not reading_english():
            page.object_list = localized_live_pages(page.object_list)
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
