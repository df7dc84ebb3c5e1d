"""Demo website content written as a real SACCO's: settings, pages, news, FAQs, by-laws and the contact form.

Idempotent: a page is created only when its slug is missing under its parent, so editors' changes survive
a second run.
"""

import datetime
import io

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.documents.models import Document
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText
from xhtml2pdf import pisa

from portal.society.models import SaccoSettings

from .demo_sw import kiswahili_seed
from .models import (
    ContactFormField,
    ContactPage,
    DownloadsPage,
    FaqPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)

SOCIETY = {
    "name": "Mwamba SACCO Society Ltd",
    "short_name": "Mwamba SACCO",
    "tagline": "Save together, borrow wisely, grow together.",
    "registration_number": "CS/10482",
    "email": "info@mwamba-sacco.example",
    "phone": "+254 709 123 456",
    "physical_address": "Mwamba House, 3rd Floor, Moi Avenue, Nairobi",
    "postal_address": "P.O. Box 48211-00100, Nairobi",
    "office_hours": "Mon–Fri 8:00–17:00 · Sat 9:00–13:00",
    "mpesa_paybill": "522533",
    "footer_text": "Registered under the Co-operative Societies Act (Cap. 490). Deposits are not insured by the KDIC.",
}


def _p(html: str) -> RichText:
    return RichText(html)


def settings_seed() -> SaccoSettings:
    sacco = SaccoSettings.load()
    for field, value in SOCIETY.items():
        setattr(sacco, field, value)
    sacco.save()
    return sacco


def _child(parent: Page, model, slug: str, **fields) -> Page:
    """The live child page with this slug, created and published when missing."""
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def bylaws_pdf() -> bytes:
    html = render_to_string("pdf/bylaws.html", {"society": SOCIETY, "year": timezone.localdate().year})
    output = io.BytesIO()
    result = pisa.CreatePDF(html, dest=output, encoding="utf-8")
    if result.err:
        raise RuntimeError("Could not render the by-laws PDF.")
    return output.getvalue()


def bylaws_document() -> Document:
    document = Document.objects.filter(title="Mwamba SACCO by-laws").first()
    if document is None:
        document = Document(title="Mwamba SACCO by-laws")
        document.file.save("mwamba-sacco-by-laws.pdf", ContentFile(bylaws_pdf()), save=False)
        document.save()
    return document


def _text_document(title: str, filename: str, text: str) -> Document:
    document = Document.objects.filter(title=title).first()
    if document is None:
        document = Document(title=title)
        document.file.save(filename, ContentFile(text.encode("utf-8")), save=False)
        document.save()
    return document


def home_page_ensure() -> HomePage:
    """The home page at the top of the tree, served by the default site; created if missing."""
    home = HomePage.objects.filter(locale=Locale.get_default()).first()  # the English one; sw is its copy
    if home is None:
        home = HomePage(title="Home", slug="home")
        Page.get_first_root_node().add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True, port=80)
    if site.pk is None or site.root_page_id != home.pk or site.hostname != "localhost":
        site.root_page = home
        site.hostname = "localhost"
        site.site_name = SOCIETY["short_name"]
        site.save()
    return home


def site_seed() -> HomePage:
    settings_seed()
    home = home_page_ensure()

    about = _child(
        home,
        StandardPage,
        "about-us",
        title="About us",
        show_in_menus=True,
        intro="A teachers' and public servants' co-operative, owned and run by its 2,400 members since 1994.",
        body=[
            (
                "paragraph",
                _p(
                    "<p>Mwamba SACCO began in 1994 when forty teachers in Nairobi's Eastlands agreed to save KES 200 "
                    "each month and lend to one another at fair rates. Today we serve teachers, health workers and "
                    "county staff across Nairobi, Kiambu and Machakos through payroll check-off and M-Pesa.</p>"
                    "<p>Every member owns a part of the society. The Annual General Meeting elects the board and the "
                    "supervisory committee, approves the budget and declares the dividend on share capital and the "
                    "interest on deposits.</p>"
                ),
            ),
            (
                "stats",
                {
                    "heading": "Mwamba in numbers",
                    "stats": [
                        {"figure": "2,400+", "label": "members"},
                        {"figure": "KES 1.2 bn", "label": "member deposits"},
                        {"figure": "11%", "label": "interest on deposits, 2025"},
                        {"figure": "30 yrs", "label": "serving members"},
                    ],
                },
            ),
            ("heading", {"text": "How we are governed", "level": "h2"}),
            (
                "paragraph",
                _p(
                    "<ul><li><b>Board of directors</b> — seven members elected at the AGM for three-year terms.</li>"
                    "<li><b>Credit committee</b> — three members who approve every loan, none on their own "
                    "application.</li>"
                    "<li><b>Supervisory committee</b> — checks the books on the members' behalf and reports to "
                    "the AGM.</li>"
                    "<li><b>External auditor</b> — appointed by the AGM; the audited accounts go to the "
                    "Commissioner.</li></ul>"
                ),
            ),
            (
                "quote",
                {
                    "quote": "I built my house room by room with Mwamba loans. The committee knows us and the "
                    "rates are fair.",
                    "attribution": "Esther Njoroge, member since 2003",
                },
            ),
        ],
    )
    membership = _child(
        home,
        StandardPage,
        "membership",
        title="Membership",
        show_in_menus=True,
        intro="Who can join, what it costs and what you get as a member.",
        body=[
            (
                "paragraph",
                _p(
                    "<p>Membership is open to employees of the Teachers Service Commission, county governments and "
                    "public hospitals in our common bond, and to their spouses. Joining is by invitation from the "
                    "office once your application form and documents are checked.</p>"
                ),
            ),
            (
                "steps",
                {
                    "heading": "How to join",
                    "steps": [
                        {
                            "title": "Fill the application",
                            "text": "Download the membership form, fill it and attach a copy "
                            "of your national ID, KRA PIN certificate and latest payslip.",
                        },
                        {
                            "title": "Pay the entrance fee",
                            "text": "KES 1,000, once, by M-Pesa to paybill 522533 with your "
                            "national ID number as the account.",
                        },
                        {
                            "title": "Get your invitation",
                            "text": "The office emails you a link to set your password and "
                            "confirm your details. You receive your membership number.",
                        },
                        {
                            "title": "Start saving",
                            "text": "Save at least KES 1,000 a month through check-off or M-Pesa and "
                            "build your share capital of KES 20,000 over 12 or 24 months.",
                        },
                    ],
                },
            ),
            (
                "cards",
                {
                    "heading": "What members get",
                    "cards": [
                        {
                            "title": "Loans up to 3× deposits",
                            "text": "Development, school fees, emergency and asset loans "
                            "approved by your own credit committee.",
                        },
                        {
                            "title": "Dividends and interest",
                            "text": "A dividend on share capital and interest on deposits "
                            "declared every year at the AGM.",
                        },
                        {
                            "title": "Online portal",
                            "text": "See your savings, loans and statements on your phone, any time.",
                        },
                    ],
                },
            ),
        ],
    )
    products = _child(
        home,
        StandardPage,
        "savings-and-loans",
        title="Savings & loans",
        show_in_menus=True,
        intro="Deposits that earn a yearly return, and loans priced for members, not for profit.",
        body=[
            (
                "cards",
                {
                    "heading": "Savings",
                    "cards": [
                        {
                            "title": "Monthly deposits",
                            "text": "From KES 1,000 a month. Deposits earn interest declared at "
                            "the AGM and are the base for your loan limit.",
                        },
                        {
                            "title": "Share capital",
                            "text": "KES 20,000 (20 shares of KES 1,000), paid over 12 or 24 months. "
                            "Share capital earns the dividend and makes you an owner.",
                        },
                    ],
                },
            ),
            (
                "cards",
                {
                    "heading": "Loans",
                    "cards": [
                        {
                            "title": "Development loan",
                            "text": "Up to 3× your deposits, repaid over up to 48 months at "
                            "12% a year on a reducing balance.",
                        },
                        {
                            "title": "School fees loan",
                            "text": "Up to KES 300,000 over 12 months at 12% a year, disbursed straight to the school.",
                        },
                        {
                            "title": "Emergency loan",
                            "text": "Up to KES 100,000 within 48 hours for medical and funeral "
                            "costs, repaid over 6 months.",
                        },
                    ],
                },
            ),
            (
                "call_to_action",
                {
                    "heading": "Ready to borrow?",
                    "text": "Sign in to see how much you can borrow and apply with your guarantors online.",
                    "button_text": "Member portal",
                    "button_page": None,
                    "button_url": "/portal/",
                },
            ),
        ],
    )
    news_index = _child(
        home,
        NewsIndexPage,
        "news",
        title="News",
        show_in_menus=True,
        intro="Notices, AGM announcements and updates from the board.",
    )
    today = timezone.localdate()
    articles = [
        (
            "agm-notice",
            "Notice of the 31st Annual General Meeting",
            12,
            "The AGM will be held at the Kenya National Theatre grounds on Saturday at 9:00 am.",
            "<p>All members are invited. The agenda includes the audited accounts, the dividend and interest "
            "declaration, the election of three directors and the amendment of by-law 14 on guarantors.</p>"
            "<p>Bring your national ID. Lunch and transport allowance will be provided.</p>",
        ),
        (
            "dividend-2025",
            "11% interest on deposits and 14% dividend for 2025",
            60,
            "The AGM approved the board's proposal; payments reach members' deposit accounts this month.",
            "<p>Interest on deposits is computed on the average of your month-end balances. Withholding tax of 5% "
            "on dividends is deducted as required by law. Your statement in the member portal shows the details.</p>",
        ),
        (
            "mpesa-paybill",
            "Pay by M-Pesa: paybill 522533",
            120,
            "Members can now pay deposits, share capital and loan instalments by M-Pesa.",
            "<p>Use paybill <b>522533</b> and your membership number as the account number. Payments post to your "
            "account the same day and appear in the member portal.</p>",
        ),
        (
            "school-fees-loan",
            "School fees loans open for January",
            200,
            "Apply early: school fees loans are processed in the order received.",
            "<p>School fees loans of up to KES 300,000 are open. The credit committee meets every Tuesday; a "
            "complete application with two guarantors is usually approved within a week.</p>",
        ),
    ]
    for slug, title, days_ago, intro, body in articles:
        _child(
            news_index,
            NewsPage,
            slug,
            title=title,
            date=today - datetime.timedelta(days=days_ago),
            intro=intro,
            body=[("paragraph", _p(body))],
        )

    _child(
        home,
        FaqPage,
        "faqs",
        title="FAQs",
        show_in_menus=True,
        intro="Answers to the questions members ask the office most often.",
        body=[
            ("heading", {"text": "Savings and shares", "level": "h2"}),
            (
                "question",
                {
                    "question": "What is the difference between share capital and deposits?",
                    "answer": _p(
                        "<p>Share capital (KES 20,000) makes you an owner and earns the dividend. It "
                        "cannot be withdrawn, only transferred. Deposits are your savings: they earn "
                        "interest, secure your loans and are refunded when you leave.</p>"
                    ),
                },
            ),
            (
                "question",
                {
                    "question": "Can I save more than the minimum?",
                    "answer": _p(
                        "<p>Yes. Ask the office to raise your check-off amount, or pay the extra by "
                        "M-Pesa. More deposits mean a higher loan limit.</p>"
                    ),
                },
            ),
            ("heading", {"text": "Loans", "level": "h2"}),
            (
                "question",
                {
                    "question": "How much can I borrow?",
                    "answer": _p(
                        "<p>Up to three times your deposits, less the loans you already owe, if you "
                        "have been a member for six months and your share capital is complete.</p>"
                    ),
                },
            ),
            (
                "question",
                {
                    "question": "Why do I need guarantors?",
                    "answer": _p(
                        "<p>Guarantors pledge part of their own deposits for the part of your loan "
                        "that your deposits do not cover. They are released when you repay.</p>"
                    ),
                },
            ),
            ("heading", {"text": "The member portal", "level": "h2"}),
            (
                "question",
                {
                    "question": "How do I get a login?",
                    "answer": _p(
                        "<p>The office sends an invitation to the email address on your membership "
                        "form. Follow the link to set your password.</p>"
                    ),
                },
            ),
        ],
    )
    bylaws = bylaws_document()
    form_doc = _text_document(
        "Membership application form",
        "membership-application-form.txt",
        "MWAMBA SACCO SOCIETY LTD - MEMBERSHIP APPLICATION\n\nFull name:\nNational ID number:\nKRA PIN:\n"
        "Employer and payroll number:\nPhone:\nEmail:\nNominee(s) and share (%):\n\nSignature:            Date:\n",
    )
    _child(
        home,
        DownloadsPage,
        "downloads",
        title="Downloads",
        show_in_menus=True,
        intro="By-laws, forms and policies.",
        body=[
            ("heading", {"text": "Governing documents", "level": "h2"}),
            (
                "document",
                {
                    "document": bylaws,
                    "title": "By-laws of Mwamba SACCO Society Ltd",
                    "description": "As amended at the Annual General Meeting. Read them before you join.",
                },
            ),
            ("heading", {"text": "Forms", "level": "h2"}),
            (
                "document",
                {
                    "document": form_doc,
                    "title": "Membership application form",
                    "description": "Print, fill in and bring to the office with your documents.",
                },
            ),
        ],
    )
    contact = _child(
        home,
        ContactPage,
        "contact",
        title="Contact us",
        show_in_menus=True,
        to_address=SOCIETY["email"],
        from_address="",
        subject="Website enquiry",
        form_intro=_p(
            "<p>Send us a message and the office will reply within two working days. "
            "Never send your password or PIN.</p>"
        ).source,
        thank_you_text=_p(
            "<p>Thank you. We have received your message and will reply within two working days.</p>"
        ).source,
    )
    if not contact.form_fields.exists():
        fields = [
            ("Your name", "singleline", True, "", ""),
            ("Email address", "email", True, "", ""),
            ("Phone number", "singleline", False, "", "So that we can call you back."),
            ("Membership number", "singleline", False, "", "If you are a member, e.g. MB-201904-00012."),
            ("Subject", "dropdown", True, "Membership\nLoans\nStatements\nOther", ""),
            ("Message", "multiline", True, "", ""),
        ]
        for order, (label, field_type, required, choices, help_text) in enumerate(fields):
            ContactFormField.objects.create(
                page=contact,
                sort_order=order,
                label=label,
                field_type=field_type,
                required=required,
                choices=choices,
                help_text=help_text,
            )
    if not home.body:
        home.hero_heading = "Save together, borrow wisely, grow together"
        home.hero_text = (
            "Mwamba SACCO is owned by 2,400 teachers, health workers and county staff. Save every month, "
            "borrow up to three times your savings, and share the surplus every year."
        )
        home.hero_button_text = "How to join"
        home.hero_button_page = membership
        home.body = [
            (
                "cards",
                {
                    "heading": "What we offer",
                    "cards": [
                        {
                            "title": "Save monthly",
                            "text": "From KES 1,000 a month by check-off or M-Pesa. Your deposits "
                            "earned 11% interest last year.",
                            "link_page": products,
                            "link_url": "",
                            "link_text": "Savings",
                        },
                        {
                            "title": "Borrow fairly",
                            "text": "Loans up to three times your deposits at 12% a year on a reducing "
                            "balance, approved by members like you.",
                            "link_page": products,
                            "link_url": "",
                            "link_text": "Loans",
                        },
                        {
                            "title": "Own the society",
                            "text": "Share capital makes you an owner with a vote at the AGM and a "
                            "share of the surplus.",
                            "link_page": about,
                            "link_url": "",
                            "link_text": "About us",
                        },
                    ],
                },
            ),
            (
                "stats",
                {
                    "heading": "",
                    "stats": [
                        {"figure": "2,400+", "label": "members"},
                        {"figure": "KES 1.2 bn", "label": "deposits"},
                        {"figure": "14%", "label": "dividend on shares, 2025"},
                    ],
                },
            ),
            (
                "call_to_action",
                {
                    "heading": "Already a member?",
                    "text": "Check your balances, loans and statements in the member portal.",
                    "button_text": "Sign in",
                    "button_page": None,
                    "button_url": "/portal/",
                },
            ),
        ]
        home.save_revision().publish()
    kiswahili_seed(home)
    return home
