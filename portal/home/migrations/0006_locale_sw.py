"""The Kiswahili locale for the public pages' second tree (the English one, en-gb, exists since 0002)."""

from django.db import migrations


def locale_sw_create(apps, schema_editor):
    apps.get_model("wagtailcore.Locale").objects.get_or_create(language_code="sw")


def locale_sw_remove(apps, schema_editor):
    Locale = apps.get_model("wagtailcore.Locale")
    Page = apps.get_model("wagtailcore.Page")
    locale = Locale.objects.filter(language_code="sw").first()
    if locale is not None and not Page.objects.filter(locale=locale).exists():
        locale.delete()


class Migration(migrations.Migration):
    dependencies = [("home", "0005_delete_saccosettings"), ("wagtailcore", "__latest__")]

    operations = [migrations.RunPython(locale_sw_create, locale_sw_remove)]
