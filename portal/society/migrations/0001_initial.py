"""SaccoSettings moves here from the public-site app (issue 13) without touching its table or its row.

The state is created here and deleted from `home` (home 0005); the table keeps its name, `home_saccosettings`.
The content type is renamed so the permissions that groups hold, and the audit entries, follow the model."""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models


def _rename_content_type(apps, source: str, target: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label=target, model="saccosettings").exists():
        return
    ContentType.objects.filter(app_label=source, model="saccosettings").update(app_label=target)


def content_type_follow_model(apps, schema_editor):
    _rename_content_type(apps, "home", "society")


def content_type_back_to_home(apps, schema_editor):
    _rename_content_type(apps, "society", "home")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("home", "0004_saccosettings_provision_doubtful_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='SaccoSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default='Our SACCO Society Ltd', max_length=150)),
                ('short_name', models.CharField(default='SACCO', help_text='Used in the header and emails.', max_length=40)),
                ('tagline', models.CharField(blank=True, default='Save together, grow together.', max_length=200)),
                ('registration_number', models.CharField(blank=True, help_text='Registrar of co-operatives number.', max_length=60)),
                ('email', models.EmailField(default='office@sacco.example', max_length=254, verbose_name='office email')),
                ('phone', models.CharField(blank=True, default='+254 700 000 000', max_length=30, verbose_name='office phone')),
                ('physical_address', models.CharField(blank=True, default='Nairobi, Kenya', max_length=200)),
                ('postal_address', models.CharField(blank=True, default='P.O. Box 00000-00100, Nairobi', max_length=120)),
                ('office_hours', models.CharField(blank=True, default='Mon–Fri 8:00–17:00, Sat 9:00–13:00', max_length=120)),
                ('mpesa_paybill', models.CharField(blank=True, max_length=20, verbose_name='M-Pesa paybill')),
                ('footer_text', models.TextField(blank=True, default='Regulated by the Commissioner for Co-operative Development.')),
                ('currency', models.CharField(default='KES', max_length=3)),
                ('share_value', models.DecimalField(decimal_places=2, default=Decimal('1000.00'), max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))])),
                ('minimum_shares', models.PositiveIntegerField(default=20, validators=[django.core.validators.MinValueValidator(1)])),
                ('default_share_capital_term_months', models.PositiveSmallIntegerField(choices=[(12, '12 months'), (24, '24 months')], default=12, verbose_name='default share capital term (months)')),
                ('minimum_monthly_contribution', models.DecimalField(decimal_places=2, default=Decimal('1000.00'), max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))])),
                ('loan_multiple', models.DecimalField(decimal_places=2, default=Decimal('3.00'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='loan multiple of deposits')),
                ('minimum_membership_months', models.PositiveSmallIntegerField(default=6, verbose_name='membership months before a loan')),
                ('max_active_guarantees', models.PositiveSmallIntegerField(default=3, verbose_name='loans one member may guarantee at once')),
                ('penalty_rate_monthly', models.DecimalField(decimal_places=4, default=Decimal('1.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='penalty rate (% per month on the overdue amount)')),
                ('withholding_tax_rate', models.DecimalField(decimal_places=4, default=Decimal('5.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='withholding tax on dividends (%)')),
                ('provision_performing', models.DecimalField(decimal_places=4, default=Decimal('1.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='provision: performing (%)')),
                ('provision_watch', models.DecimalField(decimal_places=4, default=Decimal('5.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='provision: watch, 1–30 days (%)')),
                ('provision_substandard', models.DecimalField(decimal_places=4, default=Decimal('25.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='provision: substandard, 31–180 days (%)')),
                ('provision_doubtful', models.DecimalField(decimal_places=4, default=Decimal('50.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='provision: doubtful, 181–360 days (%)')),
                ('provision_loss', models.DecimalField(decimal_places=4, default=Decimal('100.0000'), max_digits=7, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='provision: loss, over 360 days (%)')),
                ('lockout_threshold', models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(1)], verbose_name='failed logins before lockout')),
                ('invitation_valid_days', models.PositiveSmallIntegerField(default=7, validators=[django.core.validators.MinValueValidator(1)], verbose_name='invitation links stay valid for (days)')),
                ('lockout_minutes', models.PositiveIntegerField(default=30, validators=[django.core.validators.MinValueValidator(1)], verbose_name='lockout period (minutes)')),
            ],
            options={
                'verbose_name': 'SACCO settings',
                'db_table': 'home_saccosettings',
            },
        ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follow_model, content_type_back_to_home),
    ]
