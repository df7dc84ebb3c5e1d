"""StreamField blocks for the public pages. Each block renders without JavaScript."""

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    level = blocks.ChoiceBlock(choices=[("h2", "Section heading"), ("h3", "Sub-heading")], default="h2")

    class Meta:
        icon = "title"
        template = "home/blocks/heading.html"


class CardBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock()
    link_page = blocks.PageChooserBlock(required=False)
    link_url = blocks.URLBlock(required=False, help_text="Used when no page is chosen.")
    link_text = blocks.CharBlock(required=False, max_length=40)


class CardGridBlock(blocks.StructBlock):
    """A row of short cards: products, reasons to join, services."""

    heading = blocks.CharBlock(required=False, max_length=120)
    cards = blocks.ListBlock(CardBlock())

    class Meta:
        icon = "table"
        template = "home/blocks/card_grid.html"


class StatBlock(blocks.StructBlock):
    figure = blocks.CharBlock(max_length=30, help_text="For example: 2,400+ or KES 1.2 bn")
    label = blocks.CharBlock(max_length=60)


class StatsBlock(blocks.StructBlock):
    """Key figures of the society, shown as a band."""

    heading = blocks.CharBlock(required=False, max_length=120)
    stats = blocks.ListBlock(StatBlock())

    class Meta:
        icon = "pick"
        template = "home/blocks/stats.html"


class StepsBlock(blocks.StructBlock):
    """Numbered steps, e.g. how to join or how to apply for a loan."""

    heading = blocks.CharBlock(max_length=120)
    steps = blocks.ListBlock(
        blocks.StructBlock([("title", blocks.CharBlock(max_length=80)), ("text", blocks.TextBlock())])
    )

    class Meta:
        icon = "list-ol"
        template = "home/blocks/steps.html"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(max_length=120)

    class Meta:
        icon = "openquote"
        template = "home/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False)
    button_text = blocks.CharBlock(max_length=40)
    button_page = blocks.PageChooserBlock(required=False)
    button_url = blocks.CharBlock(required=False, max_length=200, help_text="Used when no page is chosen.")

    class Meta:
        icon = "pick"
        template = "home/blocks/call_to_action.html"


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock()
    title = blocks.CharBlock(required=False, max_length=120, help_text="Defaults to the document's title.")
    description = blocks.TextBlock(required=False)

    class Meta:
        icon = "doc-full"
        template = "home/blocks/document_link.html"


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=200)
    answer = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "help"
        template = "home/blocks/faq_item.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=200)
    alt_text = blocks.CharBlock(max_length=200, help_text="Describe the image for people who cannot see it.")

    class Meta:
        icon = "image"
        template = "home/blocks/image.html"


RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul", "document-link", "hr", "blockquote"]


class BodyBlock(blocks.StreamBlock):
    """The blocks an editor can put on a content page."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow")
    cards = CardGridBlock()
    stats = StatsBlock()
    steps = StepsBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    document = DocumentLinkBlock()
    image = ImageBlock()
