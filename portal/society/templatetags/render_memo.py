"""Template tags that remember, per process, output that depends on nothing but the code, the language and the URL
configuration (issue 17: every member page renders the same menu links, URLs and fixed labels on every request).

`{% load render_memo %}` after `{% load i18n %}` shadows, in that template only:
- `{% url 'name' %}` without arguments: the reversed URL is kept on the tag, per language, URL configuration,
  script prefix and current application (the things `reverse()` reads besides the name); with arguments it is
  Django's tag unchanged.
- `{% translate "literal" %}` / `{% trans "literal" %}` without filters or a variable message: the translated,
  escaped text is kept on the tag per language (catalogues do not change while a process runs).
And adds `{% memo_fragment "name" value… %}…{% end_memo_fragment %}`: the rendered fragment is kept per name,
language, URL configuration and the values given, which must name *everything* the fragment reads from the context
(each value a str, int, bool or None: pass `member|yesno:"1,0"`, not an object). For fragments that show no
person's data beyond those values (menu links, a badge count) — never a form (CSRF token), a nonce or a name.

Nothing here is shared between processes, so nothing can be stale after a deploy; a change of settings in tests
(`setting_changed`) forgets everything.
"""

from django import template
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.templatetags.i18n import TranslateNode
from django.templatetags.i18n import do_translate as django_translate
from django.urls import get_resolver, get_script_prefix, get_urlconf
from django.utils.translation import get_language

register = template.Library()

_MEMO_LIMIT = 2000  # entries per memo: a bound on memory, far above what the pages' keys reach
_epoch = [0]
_fragments: dict = {}


def _forget(**kwargs) -> None:
    _epoch[0] += 1
    _fragments.clear()


setting_changed.connect(_forget, dispatch_uid="render_memo_forget")


def _current_app(context):
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


def _where(context) -> tuple:
    """What a reversed URL or a translated text depends on besides the tag itself."""
    urlconf = get_urlconf()
    return (_epoch[0], get_language(), get_resolver(urlconf), get_script_prefix(), _current_app(context))


def _remember(memo: dict, key, value):
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


class MemoURLNode(URLNode):
    """Django's URLNode; a URL without arguments is reversed once per language and URL configuration."""

    def __init__(self, view_name, args, kwargs, asvar):
        super().__init__(view_name, args, kwargs, asvar)
        fixed = not args and not kwargs and isinstance(view_name.var, str) and not view_name.filters
        self._memo = {} if fixed else None

    def render(self, context):
        if self._memo is None:
            return super().render(context)
        key = (*_where(context), context.autoescape)
        try:
            url = self._memo[key]
        except KeyError:  # Django's rendering (NoReverseMatch raised as before, never remembered)
            rendered = super().render(context)
            url = _remember(self._memo, key, context[self.asvar] if self.asvar else rendered)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return url


@register.tag
def url(parser, token):
    """Django's {% url %}; without arguments the result is remembered (see the module's docstring)."""
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)


class MemoTranslateNode(TranslateNode):
    """Django's TranslateNode; a literal message without filters is translated once per language."""

    def __init__(self, filter_expression, noop, asvar=None, message_context=None):
        super().__init__(filter_expression, noop, asvar, message_context)
        literal = getattr(filter_expression.var, "literal", None) is not None and not filter_expression.filters
        context_fixed = message_context is None or (
            isinstance(message_context.var, str) and not message_context.filters
        )
        self._memo = {} if literal and context_fixed else None

    def render(self, context):
        if self._memo is None:
            return super().render(context)
        key = (_epoch[0], get_language(), context.autoescape)
        try:
            value = self._memo[key]
        except KeyError:
            rendered = super().render(context)
            value = _remember(self._memo, key, context[self.asvar] if self.asvar else rendered)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def translate(parser, token):
    """Django's {% translate %}; a literal message is remembered per language (see the module's docstring)."""
    node = django_translate(parser, token)
    return MemoTranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)


class MemoFragmentNode(template.Node):
    def __init__(self, name, values, nodelist):
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def render(self, context):
        values = []
        for expression in self.values:
            value = expression.resolve(context)
            if value is not None and not isinstance(value, str | int | bool):
                raise template.TemplateSyntaxError(
                    f"memo_fragment {self.name!r}: {expression.token!r} is a {type(value).__name__}; "
                    "key a fragment on plain values (str, int, bool, None) only"
                )
            values.append(value)
        key = (self.name, *_where(context), context.autoescape, *values)
        try:
            return _fragments[key]
        except KeyError:
            return _remember(_fragments, key, self.nodelist.render(context))


@register.tag
def memo_fragment(parser, token):
    """{% memo_fragment "name" value… %}…{% end_memo_fragment %} (see the module's docstring)."""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("memo_fragment needs a quoted name, then the values it depends on")
    nodelist = parser.parse(("end_memo_fragment",))
    parser.delete_first_token()
    return MemoFragmentNode(bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
