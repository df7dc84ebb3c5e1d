"""Demo people: one login per role and a membership with realistic Kenyan names.

Deterministic (a seeded random generator) and idempotent: people are found by email, so running the
command twice creates nobody twice.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice

from . import roles
from .invitations import invitation_create
from .kyc import kyc_document_upload, kyc_review_act
from .models import REQUIRED_KYC_TYPES, Invitation, Member, User
from .roles import roles_sync
from .services import member_create

DEMO_PASSWORD = "Harambee-2026!"  # noqa: S105 - printed for the demo on purpose

FIRST_NAMES = [
    "Amina",
    "Wanjiru",
    "Brian",
    "Achieng",
    "Kevin",
    "Njeri",
    "Dennis",
    "Chebet",
    "Faith",
    "Otieno",
    "Mercy",
    "Kiprop",
    "Grace",
    "Mutua",
    "Halima",
    "Peter",
    "Wambui",
    "Collins",
    "Akinyi",
    "Joseph",
    "Nyambura",
    "Samuel",
    "Nekesa",
    "Daniel",
    "Jeruto",
    "Moses",
    "Zawadi",
    "Hassan",
    "Beatrice",
    "Kibet",
    "Esther",
    "Wafula",
    "Lucy",
    "Omondi",
    "Fatuma",
    "Stephen",
    "Naliaka",
    "George",
    "Wairimu",
    "Abdi",
]
LAST_NAMES = [
    "Kamau",
    "Otieno",
    "Mwangi",
    "Wanjiku",
    "Ochieng",
    "Kiprotich",
    "Mutua",
    "Njoroge",
    "Odhiambo",
    "Wafula",
    "Barasa",
    "Kariuki",
    "Ndungu",
    "Muthoni",
    "Kiptoo",
    "Omondi",
    "Hassan",
    "Maina",
    "Gitau",
    "Njuguna",
    "Owino",
    "Korir",
    "Rotich",
    "Langat",
    "Mugo",
    "Waweru",
    "Kimani",
    "Chepkoech",
    "Onyango",
    "Mohamed",
]
EMPLOYERS = [
    ("Teachers Service Commission", "TSC"),
    ("Nairobi City County", "NCC"),
    ("Kenya Power", "KPLC"),
    ("Ministry of Health", "MOH"),
    ("Kenyatta National Hospital", "KNH"),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    first_name: str
    last_name: str
    role: str
    is_member: bool = False


DEMO_LOGINS = [
    DemoLogin("admin@sacco.example", "Grace", "Mutiso", roles.ADMINISTRATORS),
    DemoLogin("clerk@sacco.example", "Peter", "Kiprono", roles.CLERKS),
    DemoLogin("loans@sacco.example", "Lucy", "Wangari", roles.LOANS_OFFICERS),
    DemoLogin("committee@sacco.example", "Joseph", "Ouma", roles.CREDIT_COMMITTEE, is_member=True),
    DemoLogin("committee2@sacco.example", "Mercy", "Achieng", roles.CREDIT_COMMITTEE, is_member=True),
    DemoLogin("treasurer@sacco.example", "Fatuma", "Abdalla", roles.TREASURER, is_member=True),
    DemoLogin("auditor@sacco.example", "Daniel", "Kiplagat", roles.AUDITORS),
    DemoLogin("member@sacco.example", "Amina", "Wanjiru", roles.MEMBERS, is_member=True),
]


def _ensure_user(*, email, first_name, last_name, password_hash, is_staff=False) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first_name, "last_name": last_name, "is_staff": is_staff, "password": password_hash},
    )
    return user, created


def _phone(rng: random.Random) -> str:
    return f"+2547{rng.randint(10, 99)}{rng.randint(100000, 999999)}"


@transaction.atomic
def people_seed(*, members: int, years: int, seed: int = 2026) -> list[DemoLogin]:
    """Create the demo logins and `members` ordinary members who joined over the last `years` years."""
    roles_sync()  # the groups normally exist from the migration; make sure
    rng = random.Random(seed)
    password_hash = make_password(DEMO_PASSWORD)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=365 * years)

    for position, login in enumerate(DEMO_LOGINS):
        user, _ = _ensure_user(
            email=login.email,
            first_name=login.first_name,
            last_name=login.last_name,
            password_hash=password_hash,
            is_staff=login.role != roles.MEMBERS,
        )
        if login.role == roles.ADMINISTRATORS and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        user.groups.add(Group.objects.get(name=login.role))
        if user.is_staff:
            # Staff need a second factor for the admin; demo staff get emailed codes (printed on the console).
            EmailDevice.objects.get_or_create(user=user, name="Email", defaults={"confirmed": True})
        # Draw the random values whether or not the member exists, so a second run sees the same sequence.
        join_date = start + datetime.timedelta(days=rng.randint(0, 60))
        phone, national_id = _phone(rng), str(rng.randint(20_000_000, 39_999_999))
        if login.is_member:
            user.groups.add(Group.objects.get(name=roles.MEMBERS))
            if not Member.objects.filter(user=user).exists():
                employer, prefix = EMPLOYERS[0]
                member_create(
                    user=user,
                    join_date=join_date,
                    phone_number=phone,
                    national_id=national_id,
                    employer=employer,
                    payroll_number=f"{prefix}{100000 + position}",
                )

    members_group = Group.objects.get(name=roles.MEMBERS)
    # Join dates in order, so membership numbers rise with seniority as they would have in real life.
    offsets = sorted(rng.randint(0, max(1, (today - start).days - 30)) for _ in range(members))
    for index, offset in enumerate(offsets, start=1):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        employer, prefix = rng.choice(EMPLOYERS)
        phone = _phone(rng)
        national_id = str(rng.randint(20_000_000, 39_999_999))
        payroll = f"{prefix}{200000 + index}"
        email = f"{first}.{last}.{index}@members.example".lower()
        user, created = _ensure_user(email=email, first_name=first, last_name=last, password_hash=password_hash)
        if created:
            user.groups.add(members_group)
        if not Member.objects.filter(user=user).exists():
            member_create(
                user=user,
                join_date=start + datetime.timedelta(days=offset),
                phone_number=phone,
                national_id=national_id,
                employer=employer,
                payroll_number=payroll,
            )
    return DEMO_LOGINS


DEMO_INVITATIONS = [
    ("wanjiku.muthoni@members.example", "Wanjiku", "Muthoni", "Teachers Service Commission", "TSC300001"),
    ("kiprono.langat@members.example", "Kiprono", "Langat", "Kenya Power", "KPLC300002"),
    ("halima.abdi@members.example", "Halima", "Abdi", "Nairobi City County", "NCC300003"),
]


def _specimen_pdf(label: str) -> bytes:
    import io

    from xhtml2pdf import pisa

    output = io.BytesIO()
    pisa.CreatePDF(f"<h1>SPECIMEN</h1><p>{label}</p><p>Demo document, not a real identity document.</p>", dest=output)
    return output.getvalue()


def identity_seed() -> None:
    """Pending invitations, and KYC documents in every state: verified, in review and rejected.

    Emails these would send go to an in-memory outbox, so `make run` does not print a page of demo mail.
    """
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.utils import override_settings

    clerk = User.objects.get(email="clerk@sacco.example")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for email, first, last, employer, payroll in DEMO_INVITATIONS:
            if not Invitation.objects.filter(email=email).exists() and not User.objects.filter(email=email).exists():
                invitation_create(
                    email=email,
                    first_name=first,
                    last_name=last,
                    employer=employer,
                    payroll_number=payroll,
                    invited_by=clerk,
                )
        pdfs = {t: _specimen_pdf(t.label) for t in REQUIRED_KYC_TYPES}

        def upload_all(member):
            return [
                kyc_document_upload(
                    member=member, document_type=t, by=member.user, upload=SimpleUploadedFile(f"{t.value}.pdf", pdfs[t])
                )
                for t in REQUIRED_KYC_TYPES
            ]

        amina = Member.objects.get(user__email="member@sacco.example")
        if not amina.kyc_documents.exists():
            for document in upload_all(amina):
                kyc_review_act(document=document, user=clerk, action="approve")
        for index, member in enumerate(
            Member.objects.filter(user__email__endswith="@members.example").order_by("-join_date")[:3]
        ):
            if member.kyc_documents.exists():
                continue
            documents = upload_all(member)
            if index == 2:  # one member's ID photo was unreadable
                kyc_review_act(
                    document=documents[0],
                    user=clerk,
                    action="reject",
                    reason="The photo of the ID is blurred; please upload a clearer scan.",
                )
