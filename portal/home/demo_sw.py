"""Kiswahili copies of the demo's main public pages, made as an editor would with "Translate" (simple_translation):
`copy_for_translation` puts the copy in the `sw` tree with the same slug, then the text is replaced and published.

Idempotent: a page that already has a Kiswahili copy is left alone (an editor may have changed it). Pages not
listed here (downloads, news articles, the loan calculator) stay English for a Kiswahili reader.
"""

from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from .models import HomePage


def _p(html: str) -> RichText:
    return RichText(html)


ABOUT = {
    "title": "Kuhusu sisi",
    "intro": "Chama cha ushirika cha walimu na watumishi wa umma, kinachomilikiwa na kuendeshwa na wanachama "
    "wake 2,400 tangu 1994.",
    "body": [
        (
            "paragraph",
            _p(
                "<p>Mwamba SACCO ilianza mwaka 1994 walimu arobaini wa Eastlands, Nairobi, walipokubaliana kuweka "
                "akiba ya KES 200 kila mwezi na kukopeshana kwa riba nafuu. Leo tunawahudumia walimu, wahudumu wa "
                "afya na watumishi wa kaunti za Nairobi, Kiambu na Machakos kupitia makato ya mshahara na M-Pesa.</p>"
                "<p>Kila mwanachama ni mmiliki wa chama. Mkutano Mkuu wa Mwaka huchagua bodi na kamati ya "
                "usimamizi, huidhinisha bajeti na hutangaza gawio kwa hisa na riba kwa akiba.</p>"
            ),
        ),
        (
            "stats",
            {
                "heading": "Mwamba kwa takwimu",
                "stats": [
                    {"figure": "2,400+", "label": "wanachama"},
                    {"figure": "KES bilioni 1.2", "label": "akiba za wanachama"},
                    {"figure": "11%", "label": "riba kwa akiba, 2025"},
                    {"figure": "miaka 30", "label": "ya kuwahudumia wanachama"},
                ],
            },
        ),
        ("heading", {"text": "Jinsi tunavyoongozwa", "level": "h2"}),
        (
            "paragraph",
            _p(
                "<ul><li><b>Bodi ya wakurugenzi</b> — wanachama saba wanaochaguliwa na Mkutano Mkuu kwa miaka "
                "mitatu.</li>"
                "<li><b>Kamati ya mikopo</b> — wanachama watatu wanaoidhinisha kila mkopo; hakuna anayeamua "
                "ombi lake mwenyewe.</li>"
                "<li><b>Kamati ya usimamizi</b> — hukagua hesabu kwa niaba ya wanachama na kuripoti kwa Mkutano "
                "Mkuu.</li>"
                "<li><b>Mkaguzi wa nje</b> — huteuliwa na Mkutano Mkuu; hesabu zilizokaguliwa hupelekwa kwa "
                "Kamishna.</li></ul>"
            ),
        ),
        (
            "quote",
            {
                "quote": "Nilijenga nyumba yangu chumba kwa chumba kwa mikopo ya Mwamba. Kamati inatufahamu na "
                "riba ni ya haki.",
                "attribution": "Esther Njoroge, mwanachama tangu 2003",
            },
        ),
    ],
}

MEMBERSHIP = {
    "title": "Uanachama",
    "intro": "Nani anaweza kujiunga, gharama yake na unachopata ukiwa mwanachama.",
    "body": [
        (
            "paragraph",
            _p(
                "<p>Uanachama uko wazi kwa waajiriwa wa Tume ya Huduma ya Walimu, serikali za kaunti na hospitali "
                "za umma walio katika kifungo chetu cha pamoja, pamoja na wenzi wao. Unajiunga kwa mwaliko kutoka "
                "ofisini baada ya fomu yako ya maombi na nyaraka kukaguliwa.</p>"
            ),
        ),
        (
            "steps",
            {
                "heading": "Jinsi ya kujiunga",
                "steps": [
                    {
                        "title": "Jaza fomu ya maombi",
                        "text": "Pakua fomu ya uanachama, ijaze na uambatishe nakala ya kitambulisho, cheti "
                        "cha KRA PIN na hati yako ya mshahara ya hivi karibuni.",
                    },
                    {
                        "title": "Lipa ada ya kujiunga",
                        "text": "KES 1,000, mara moja, kwa M-Pesa kwenye paybill 522533 ukitumia nambari ya "
                        "kitambulisho chako kama akaunti.",
                    },
                    {
                        "title": "Pokea mwaliko wako",
                        "text": "Ofisi inakutumia kiungo kwa barua pepe cha kuweka nenosiri na kuthibitisha "
                        "taarifa zako. Unapata nambari yako ya uanachama.",
                    },
                    {
                        "title": "Anza kuweka akiba",
                        "text": "Weka akiba ya angalau KES 1,000 kwa mwezi kupitia makato ya mshahara au M-Pesa, "
                        "na ujenge hisa zako za KES 20,000 kwa miezi 12 au 24.",
                    },
                ],
            },
        ),
        (
            "cards",
            {
                "heading": "Wanachama wanapata nini",
                "cards": [
                    {
                        "title": "Mkopo hadi mara 3 ya akiba",
                        "text": "Mikopo ya maendeleo, karo ya shule, dharura na mali, inayoidhinishwa na "
                        "kamati yako ya mikopo.",
                    },
                    {
                        "title": "Gawio na riba",
                        "text": "Gawio kwa hisa na riba kwa akiba vinavyotangazwa kila mwaka na Mkutano Mkuu.",
                    },
                    {
                        "title": "Lango la wanachama",
                        "text": "Angalia akiba, mikopo na taarifa zako kwenye simu yako, wakati wowote.",
                    },
                ],
            },
        ),
    ],
}

PRODUCTS = {
    "title": "Akiba na mikopo",
    "intro": "Akiba zinazopata faida kila mwaka, na mikopo iliyopangwa kwa ajili ya wanachama, si kwa faida.",
    "body": [
        (
            "cards",
            {
                "heading": "Akiba",
                "cards": [
                    {
                        "title": "Akiba ya kila mwezi",
                        "text": "Kuanzia KES 1,000 kwa mwezi. Akiba hupata riba inayotangazwa na Mkutano Mkuu "
                        "na ndiyo msingi wa kiwango cha mkopo wako.",
                    },
                    {
                        "title": "Hisa",
                        "text": "KES 20,000 (hisa 20 za KES 1,000), zinazolipwa kwa miezi 12 au 24. Hisa "
                        "hupata gawio na zinakufanya mmiliki.",
                    },
                ],
            },
        ),
        (
            "cards",
            {
                "heading": "Mikopo",
                "cards": [
                    {
                        "title": "Mkopo wa maendeleo",
                        "text": "Hadi mara 3 ya akiba yako, unaolipwa kwa hadi miezi 48 kwa riba ya 12% kwa "
                        "mwaka kwa salio linalopungua.",
                    },
                    {
                        "title": "Mkopo wa karo ya shule",
                        "text": "Hadi KES 300,000 kwa miezi 12 kwa riba ya 12% kwa mwaka, unaolipwa moja kwa "
                        "moja kwa shule.",
                    },
                    {
                        "title": "Mkopo wa dharura",
                        "text": "Hadi KES 100,000 ndani ya saa 48 kwa gharama za matibabu na mazishi, "
                        "unaolipwa kwa miezi 6.",
                    },
                ],
            },
        ),
        (
            "call_to_action",
            {
                "heading": "Uko tayari kukopa?",
                "text": "Ingia uone kiasi unachoweza kukopa na uombe mkopo pamoja na wadhamini wako mtandaoni.",
                "button_text": "Lango la wanachama",
                "button_page": None,
                "button_url": "/portal/",
            },
        ),
    ],
}

NEWS = {"title": "Habari", "intro": "Matangazo, taarifa za Mkutano Mkuu na habari kutoka kwa bodi."}

FAQS = {
    "title": "Maswali",
    "intro": "Majibu ya maswali ambayo wanachama huuliza ofisi mara nyingi zaidi.",
    "body": [
        ("heading", {"text": "Akiba na hisa", "level": "h2"}),
        (
            "question",
            {
                "question": "Kuna tofauti gani kati ya hisa na akiba?",
                "answer": _p(
                    "<p>Hisa (KES 20,000) zinakufanya mmiliki na hupata gawio. Haziwezi kutolewa, ila "
                    "kuhamishwa tu. Akiba ni fedha unazoweka: hupata riba, hudhamini mikopo yako na "
                    "hurejeshwa unapoondoka.</p>"
                ),
            },
        ),
        (
            "question",
            {
                "question": "Naweza kuweka akiba zaidi ya kiwango cha chini?",
                "answer": _p(
                    "<p>Ndiyo. Omba ofisi iongeze kiasi cha makato ya mshahara, au lipa ziada kwa M-Pesa. "
                    "Akiba zaidi inamaanisha kiwango cha juu zaidi cha mkopo.</p>"
                ),
            },
        ),
        ("heading", {"text": "Mikopo", "level": "h2"}),
        (
            "question",
            {
                "question": "Naweza kukopa kiasi gani?",
                "answer": _p(
                    "<p>Hadi mara tatu ya akiba yako, ukiondoa mikopo unayodaiwa tayari, ikiwa umekuwa "
                    "mwanachama kwa miezi sita na hisa zako zimekamilika.</p>"
                ),
            },
        ),
        (
            "question",
            {
                "question": "Kwa nini ninahitaji wadhamini?",
                "answer": _p(
                    "<p>Mdhamini huweka sehemu ya akiba yake kama dhamana kwa sehemu ya mkopo wako ambayo akiba "
                    "yako haifikii. Wadhamini huachiliwa unapolipa mkopo.</p>"
                ),
            },
        ),
        ("heading", {"text": "Lango la wanachama", "level": "h2"}),
        (
            "question",
            {
                "question": "Ninapataje jina la kuingia?",
                "answer": _p(
                    "<p>Ofisi hutuma mwaliko kwa barua pepe iliyo kwenye fomu yako ya uanachama. Fuata kiungo "
                    "kuweka nenosiri lako.</p>"
                ),
            },
        ),
    ],
}

CONTACT = {
    "title": "Wasiliana nasi",
    "form_intro": _p(
        "<p>Tutumie ujumbe na ofisi itakujibu ndani ya siku mbili za kazi. Usitume kamwe nenosiri au PIN yako.</p>"
    ).source,
    "thank_you_text": _p("<p>Asante. Tumepokea ujumbe wako na tutakujibu ndani ya siku mbili za kazi.</p>").source,
}

# The contact form's fields by English label: (label, help text, choices). Their names (clean_name) stay the
# English ones, so submissions in both languages have the same columns.
CONTACT_FIELDS = {
    "Your name": ("Jina lako", "", None),
    "Email address": ("Barua pepe", "", None),
    "Phone number": ("Nambari ya simu", "Ili tukupigie simu.", None),
    "Membership number": ("Nambari ya uanachama", "Ikiwa wewe ni mwanachama, mfano MB-201904-00012.", None),
    "Subject": ("Mada", "", "Uanachama\nMikopo\nTaarifa\nMengineyo"),
    "Message": ("Ujumbe", "", None),
}

HOME = {
    "title": "Mwanzo",
    "hero_heading": "Weka akiba pamoja, kopa kwa busara, kua pamoja",
    "hero_text": "Mwamba SACCO inamilikiwa na walimu, wahudumu wa afya na watumishi wa kaunti 2,400. Weka akiba "
    "kila mwezi, kopa hadi mara tatu ya akiba yako, na ugawane ziada kila mwaka.",
    "hero_button_text": "Jinsi ya kujiunga",
}


def _home_body(products: Page, about: Page) -> list:
    return [
        (
            "cards",
            {
                "heading": "Tunachotoa",
                "cards": [
                    {
                        "title": "Weka akiba kila mwezi",
                        "text": "Kuanzia KES 1,000 kwa mwezi kwa makato ya mshahara au M-Pesa. Akiba yako "
                        "ilipata riba ya 11% mwaka jana.",
                        "link_page": products,
                        "link_url": "",
                        "link_text": "Akiba",
                    },
                    {
                        "title": "Kopa kwa haki",
                        "text": "Mikopo hadi mara tatu ya akiba yako kwa 12% kwa mwaka kwa salio linalopungua, "
                        "inayoidhinishwa na wanachama wenzako.",
                        "link_page": products,
                        "link_url": "",
                        "link_text": "Mikopo",
                    },
                    {
                        "title": "Miliki chama",
                        "text": "Hisa zinakufanya mmiliki mwenye kura katika Mkutano Mkuu na sehemu ya ziada.",
                        "link_page": about,
                        "link_url": "",
                        "link_text": "Kuhusu sisi",
                    },
                ],
            },
        ),
        (
            "stats",
            {
                "heading": "",
                "stats": [
                    {"figure": "2,400+", "label": "wanachama"},
                    {"figure": "KES bilioni 1.2", "label": "akiba"},
                    {"figure": "14%", "label": "gawio kwa hisa, 2025"},
                ],
            },
        ),
        (
            "call_to_action",
            {
                "heading": "Tayari ni mwanachama?",
                "text": "Angalia salio, mikopo na taarifa zako kwenye lango la wanachama.",
                "button_text": "Ingia",
                "button_page": None,
                "button_url": "/portal/",
            },
        ),
    ]


def _translate(page: Page, locale: Locale, fields: dict) -> tuple[Page, bool]:
    """The page's copy in `locale`, made with the fields given and published when missing; (copy, created)."""
    page = page.specific
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific, False
    copy = page.copy_for_translation(locale).specific
    for field, value in fields.items():
        setattr(copy, field, value)
    copy.save()
    return copy, True


def kiswahili_seed(home: HomePage) -> HomePage:
    """The Kiswahili home page and main pages, published; returns the Kiswahili home page."""
    locale, _ = Locale.objects.get_or_create(language_code="sw")
    sw_home, home_created = _translate(home, locale, HOME)
    children = {child.slug: child for child in home.get_children()}
    copies = {}
    for slug, fields in [
        ("about-us", ABOUT),
        ("membership", MEMBERSHIP),
        ("savings-and-loans", PRODUCTS),
        ("news", NEWS),
        ("faqs", FAQS),
        ("contact", CONTACT),
    ]:
        if slug not in children:
            continue
        copy, created = _translate(children[slug], locale, fields)
        copies[slug] = copy
        if created and slug == "contact":
            for field in copy.form_fields.all():
                label, help_text, choices = CONTACT_FIELDS.get(field.label, (field.label, field.help_text, None))
                field.label, field.help_text = label, help_text
                if choices is not None:
                    field.choices = choices
                field.save()
        if created:
            copy.save_revision().publish()
    if home_created:
        sw_home = HomePage.objects.get(pk=sw_home.pk)  # its children were added through fresh copies (numchild)
        # Links stay on the English pages: both trees share the URLs, and the router serves the reader's language.
        sw_home.hero_button_page = home.hero_button_page
        if "savings-and-loans" in children and "about-us" in children:
            sw_home.body = _home_body(children["savings-and-loans"].specific, children["about-us"].specific)
        sw_home.save_revision().publish()
    return sw_home
