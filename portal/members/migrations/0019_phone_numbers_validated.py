"""Phone numbers validated (issue 12), and stored numbers rewritten to +2547XXXXXXXX / +2541XXXXXXXX where they
can be read as a Kenyan mobile number. Numbers that cannot are left as they are: the office fixes them when the
record is next edited (the forms then ask for a valid number)."""

import re

from django.db import migrations, models

import portal.members.phone

_FORMS = (
    re.compile(r"^\+254(?P<rest>[17]\d{8})$"),
    re.compile(r"^00254(?P<rest>[17]\d{8})$"),
    re.compile(r"^254(?P<rest>[17]\d{8})$"),
    re.compile(r"^0(?P<rest>[17]\d{8})$"),
    re.compile(r"^(?P<rest>[17]\d{8})$"),
)


def _normal(raw: str) -> str | None:
    """A frozen copy of portal.members.phone.phone_normalise as it was when this migration was written."""
    text = re.sub(r"[\s\-().]", "", raw or "")
    for pattern in _FORMS:
        match = pattern.match(text)
        if match:
            return "+254" + match.group("rest")
    return None


def normalise_stored_numbers(apps, schema_editor):
    for model_name in ("Member", "Invitation", "Nominee"):
        model = apps.get_model("members", model_name)
        for pk, phone in model.objects.exclude(phone_number="").values_list("pk", "phone_number").iterator():
            normal = _normal(phone)
            if normal and normal != phone:
                model.objects.filter(pk=pk).update(phone_number=normal)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0018_roles_saved_reports"),
    ]

    operations = [
        migrations.RunPython(normalise_stored_numbers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invitation",
            name="phone_number",
            field=models.CharField(blank=True, max_length=20, validators=[portal.members.phone.phone_number_validator]),
        ),
        migrations.AlterField(
            model_name="member",
            name="phone_number",
            field=models.CharField(
                blank=True,
                help_text="A Kenyan mobile number, stored as +254712345678.",
                max_length=20,
                validators=[portal.members.phone.phone_number_validator],
            ),
        ),
        migrations.AlterField(
            model_name="nominee",
            name="phone_number",
            field=models.CharField(blank=True, max_length=20, validators=[portal.members.phone.phone_number_validator]),
        ),
    ]
