"""Settings shared by every environment. Environment-specific files import from here."""

import datetime
import os
from pathlib import Path

import dj_database_url

from portal.members.otp_issuer import issuer as otp_issuer

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

INSTALLED_APPS = [
    # Project apps first so their templates override third-party ones.
    "portal.society",
    "portal.home",
    "portal.members",
    "portal.finance",
    "portal.contributions",
    "portal.loans",
    "portal.mpesa",
    "portal.reports",
    "portal.dividends",
    "portal.workflows",
    "portal.audit",
    "portal.notifications",
    "portal.member_area",
    "portal.api",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.simple_translation",  # "Translate" on a page: copies it into the Kiswahili tree
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    # API
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",  # rotation and revocation of refresh tokens (portal/members/tokens.py)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    # Back office helpers
    "django_q",
    "django_tables2",
    "import_export",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "portal.middleware.DatabaseUnavailableMiddleware",  # first: a lost database connection is a 503, not a 500
    "django.middleware.security.SecurityMiddleware",
    "portal.health.HealthProbeMiddleware",  # /healthz, /readyz answered before sessions, locale, sign-in (issue 17)
    # (the CSP middleware is inserted here, below) then: a NUL in a query parameter is a 400, never PostgreSQL's 500
    "portal.middleware.NullCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # after sessions, before common: the language cookie, else English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.members.language.MemberLanguageMiddleware",  # a signed-in member's saved language wins over the cookie
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.members.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.member_area.context_processors.member_area",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

# Database: SQLite is the embedded default; DATABASE_URL switches to PostgreSQL.
SQLITE_PATH = BASE_DIR / "db.sqlite3"


def database_from_environment(default_sqlite_path=SQLITE_PATH):
    """Build DATABASES['default'] from DATABASE_URL, or SQLite when it is unset.

    SQLite runs in IMMEDIATE transaction mode so concurrent writers queue instead of failing with
    "database is locked" mid-transaction (select_for_update is a no-op there).
    """
    import os

    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(default_sqlite_path),
            "CONN_MAX_AGE": 60,
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    config["ATOMIC_REQUESTS"] = False
    return config


def replica_database_from_environment():
    """DATABASES['replica'] from DATABASE_REPLICA_URL (a PostgreSQL streaming replica of the primary), or None.

    Reports and exports read from it through `portal.society.replica.PrimaryReplicaRouter`, only where they opt
    in with `reads_from_replica()`; everything else, and every write, stays on the primary. See
    docs/operations.md, "Read replica".
    """
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return None
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": database_from_environment()}
DATABASE_ROUTERS = []
if replica := replica_database_from_environment():
    DATABASES["replica"] = replica
    DATABASE_ROUTERS = ["portal.society.replica.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked accounts before any password check
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Africa/Nairobi"
USE_I18N = True
LANGUAGES = [("en-gb", "English"), ("sw", "Kiswahili")]  # en-gb: British dates and numbers, as before
LOCALE_PATHS = [BASE_DIR / "locale"]
# Public pages in Kiswahili (docs/translation.md): one page tree per language, the same URLs, chosen by the cookie.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
FORMAT_MODULE_PATH = ["portal.settings.formats"]  # Kiswahili number and date formats (Django has none)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
# KYC documents, receipts, backups: never under MEDIA_ROOT, served only by permission-checked views.
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "private"
KYC_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Every private FileField goes through portal.society.storage.PrivateStorage to this backend (S3 in production
    # when AWS_STORAGE_BUCKET_NAME is set: portal/settings/production.py).
    "private": {"BACKEND": "portal.society.storage.PrivateFileSystemStorage"},
}

# --- Accounts (allauth): email login, sign-up only through an invitation -------------------------
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "member_area:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "portal.members.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False

# allauth's own failed-login limit is off: django-axes does lockout (settings-driven, visible to staff).
ACCOUNT_RATE_LIMITS = {"login_failed": False}

# --- Lockout (django-axes): by email typed and client address, with an account-wide cap -------------------
# The scheme (per source, per account, known sources, the owner's emailed unlock link): portal/members/lockout.py.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "portal.members.lockout.SaccoLockoutHandler"
LOCKOUT_ACCOUNT_FACTOR = 4  # account-wide limit = SaccoSettings.lockout_threshold × this, over all addresses
LOCKOUT_KNOWN_SOURCE_DAYS = 90  # an address the account signed in from keeps its own allowance this long
AXES_FAILURE_LIMIT = "portal.members.lockout.failure_limit"
AXES_COOLOFF_TIME = "portal.members.lockout.cooloff_time"
AXES_USERNAME_CALLABLE = "portal.members.lockout.username_from_request"
AXES_LOCKOUT_CALLABLE = "portal.members.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "otp_token", "token"]
# Number of reverse proxies in front of the app; their X-Forwarded-For hops are trusted for the client IP.
# One setting for the lockout, the API throttles and the activity log (portal.members.activity.client_ip).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = NUM_PROXIES  # allauth's own rate limits (password reset emails) see the same address
SILENCED_SYSTEM_CHECKS = []
AXES_CLIENT_IP_CALLABLE = "portal.members.activity.client_ip"

# --- Second factor (django-otp) ----------------------------------------------------------------------
OTP_TOTP_ISSUER = otp_issuer  # a callable: the society's short name from SaccoSettings
OTP_EMAIL_SUBJECT = "Your sign-in code: {token}"
OTP_EMAIL_BODY_TEMPLATE_PATH = "email/otp_code.txt"
OTP_EMAIL_TOKEN_VALIDITY = 300

# --- Wagtail --------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "SACCO member portal"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# The last approver publishes without a "publish" permission; no group holds publish on approval objects.
WAGTAIL_FINISH_WORKFLOW_ACTION = "portal.workflows.actions.publish_approved"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_USER_CUSTOM_FIELDS = []
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt", "odt"]

# --- API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Both refuse what has not passed the second factor (portal/api/authentication.py).
        "portal.api.authentication.VerifiedJWTAuthentication",
        "portal.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",  # + the error answers (issue 12)
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_RATES": {"auth": "30/minute"},
    # Throttles key on the client address as the lockout and the logs see it: X-Forwarded-For only that deep.
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "portal.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SACCO member portal API",
    "DESCRIPTION": "REST API for members and staff. Authenticate with a JWT pair (Bearer token).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["portal.api.schema.only_public_api"],
    "ENUM_NAME_OVERRIDES": {
        "BankAccountKindEnum": "portal.finance.banking.models.BankAccountKind",
        "BatchItemKindEnum": "portal.finance.cashbook.models.BatchItemKind",
        "ActivityActionEnum": "portal.members.models.ActivityAction",
        "DecisionActionEnum": ["approve", "reject"],
        "MessageChannelEnum": "portal.notifications.models.Channel",
        "LoanProposalStatusEnum": "portal.loans.lifecycle_models.ProposalStatus",
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": datetime.timedelta(minutes=10),
    "REFRESH_TOKEN_LIFETIME": datetime.timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "TOKEN_REFRESH_SERIALIZER": "portal.api.authentication.CheckedTokenRefreshSerializer",
}

# --- Background jobs (django-q2, database broker) ---------------------------------------------------
Q_CLUSTER = {
    "name": "portal",
    "orm": "default",
    "workers": 2,
    "timeout": 300,
    "retry": 360,
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
}
# Downloads with more rows than this are built in the background with a progress page (portal/reports/export_jobs).
EXPORT_BACKGROUND_ROWS = 2000
# Their files are deleted this many days after they are built (the daily export_jobs_prune; the job stays listed).
EXPORT_KEEP_DAYS = 7

# --- Email ------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = "SACCO Office <office@sacco.example>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[SACCO] "

# seed_demo writes known passwords: allowed everywhere but production.
DEMO_DATA_ALLOWED = True

SMS_BACKEND = "portal.notifications.sms.ConsoleSmsBackend"
# Africa's Talking (the production SMS backend: portal.notifications.sms.AfricasTalkingSmsBackend).
AFRICASTALKING_USERNAME = os.environ.get("AFRICASTALKING_USERNAME", "sandbox")
AFRICASTALKING_API_KEY = os.environ.get("AFRICASTALKING_API_KEY", "")
AFRICASTALKING_SENDER_ID = os.environ.get("AFRICASTALKING_SENDER_ID", "")
# At most this many SMS per member per hour (more are logged and dropped); docs/sms.md.
SMS_MAX_PER_MEMBER_PER_HOUR = int(os.environ.get("SMS_MAX_PER_MEMBER_PER_HOUR", "10"))
# The secret path segment of the delivery-report URL given to Africa's Talking (/sms/delivery-report/<token>/).
# No default here: without it every report is refused; dev and test settings set one.
SMS_DELIVERY_REPORT_TOKEN = os.environ.get("SMS_DELIVERY_REPORT_TOKEN", "")

# --- M-Pesa through Safaricom's Daraja API (issue 15; docs/mpesa.md) ---------------------------------
# "sandbox" or "production" picks Daraja's host; MPESA_BASE_URL overrides it (the fake Daraja in tests and `make run`).
MPESA_ENVIRONMENT = os.environ.get("MPESA_ENVIRONMENT", "sandbox")
MPESA_BASE_URL = os.environ.get(
    "MPESA_BASE_URL",
    "https://api.safaricom.co.ke" if MPESA_ENVIRONMENT == "production" else "https://sandbox.safaricom.co.ke",
)
MPESA_CONSUMER_KEY = os.environ.get("MPESA_CONSUMER_KEY", "")
MPESA_CONSUMER_SECRET = os.environ.get("MPESA_CONSUMER_SECRET", "")
MPESA_SHORTCODE = os.environ.get("MPESA_SHORTCODE", "")  # the paybill number (C2B and STK push)
MPESA_PASSKEY = os.environ.get("MPESA_PASSKEY", "")  # Lipa na M-Pesa online passkey (STK push)
# Where Daraja sends callbacks, e.g. https://sacco.example (no trailing slash).
MPESA_CALLBACK_BASE_URL = os.environ.get("MPESA_CALLBACK_BASE_URL", "")
# The secret path segment in every callback URL: long and random. No default here: dev and test settings set one.
MPESA_CALLBACK_TOKEN = os.environ.get("MPESA_CALLBACK_TOKEN", "")
# Callbacks are accepted only from these addresses (comma-separated IPs or CIDR ranges; empty: from anywhere).
MPESA_ALLOWED_IPS = [ip.strip() for ip in os.environ.get("MPESA_ALLOWED_IPS", "").split(",") if ip.strip()]
# Reject C2B validation requests whose account reference matches no member (Safaricom must enable validation).
MPESA_C2B_VALIDATE_REFERENCE = os.environ.get("MPESA_C2B_VALIDATE_REFERENCE", "true").lower() == "true"
# B2C (loan disbursement to the member's phone).
MPESA_B2C_SHORTCODE = os.environ.get("MPESA_B2C_SHORTCODE", "")
MPESA_B2C_INITIATOR_NAME = os.environ.get("MPESA_B2C_INITIATOR_NAME", "")
MPESA_B2C_SECURITY_CREDENTIAL = os.environ.get("MPESA_B2C_SECURITY_CREDENTIAL", "")
# Seconds before an STK push with no callback is asked about (STK push query).
MPESA_STK_QUERY_AFTER_SECONDS = int(os.environ.get("MPESA_STK_QUERY_AFTER_SECONDS", "120"))
# Seconds the HTTP client waits for Daraja.
MPESA_HTTP_TIMEOUT = int(os.environ.get("MPESA_HTTP_TIMEOUT", "15"))

DJANGO_TABLES2_TEMPLATE = "django_tables2/semantic.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"portal": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- File imports (issue 12) ------------------------------------------------------------------------
# Every uploaded table (check-off, bank/M-Pesa statements, invitation lists) is read by
# portal/society/file_reader.py under these caps; a zip bomb or a damaged file is a form error, not a held worker.
FILE_IMPORT_MAX_BYTES = 10 * 1024 * 1024  # the upload itself
FILE_IMPORT_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # an XLSX's parts, summed, once unzipped
FILE_IMPORT_MAX_COMPRESSION_RATIO = 100  # a part over 1 MB that unzips more than this many times is refused
FILE_IMPORT_MAX_ROWS = 50_000  # rows under the header
FILE_IMPORT_MAX_COLUMNS = 50
# A payroll check-off file has a row per member on the payroll: a 100,000-member society's file must fit (issue 17).
CHECKOFF_MAX_ROWS = 150_000
# Confirming a check-off file with more rows than this posts it in a django-q2 task, with a progress page.
CHECKOFF_BACKGROUND_ROWS = 5_000

# --- Content-Security-Policy (django-csp 4; portal/csp.py explains the admin's exception) -----------
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

INSTALLED_APPS += ["csp"]
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE.insert(_after_security, "portal.csp.PortalCSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],  # our files, and inline scripts carrying the request's nonce
        "style-src": [SELF, UNSAFE_INLINE],  # Wagtail's admin and Swagger UI set style attributes
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],  # ReDoc's search runs in a worker it builds from a blob
        "frame-src": [SELF],  # Wagtail's live preview
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no avatars from gravatar.com: the policy allows our own images only
# A C2B confirmation task posts the confirmations waiting with it, up to this many in one transaction (1: one each).
MPESA_C2B_BATCH = int(os.environ.get("MPESA_C2B_BATCH", "200"))
