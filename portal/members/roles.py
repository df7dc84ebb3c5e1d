"""Roles as Django groups, and the permissions each one gets.

The matrix below is the single source for docs/roles.md and for the tests that enforce it. It is applied
by a data migration (and again by `manage.py sync_roles`), so a fresh database always has the groups.
Permissions of apps added later are granted by those apps' own migrations calling `roles_sync`.
`manage.py sync_roles` also calls `roles_prune`, so a permission taken out of the matrix is taken away from the
role groups too (granting alone would leave it in place for ever).
"""

from django.apps import apps as live_apps

MEMBERS = "Members"
CLERKS = "Clerks"
LOANS_OFFICERS = "Loans officers"
CREDIT_COMMITTEE = "Credit committee"
TREASURER = "Treasurer"
AUDITORS = "Auditors"
ADMINISTRATORS = "Administrators"

STAFF_ROLES = [CLERKS, LOANS_OFFICERS, CREDIT_COMMITTEE, TREASURER, AUDITORS, ADMINISTRATORS]
ALL_ROLES = [MEMBERS, *STAFF_ROLES]

ACCESS_ADMIN = "wagtailadmin.access_admin"

# Permission bundles: what one desk of the office needs. Roles below are made of bundles.
MEMBER_REGISTER_READ = ["members.view_member"]
MEMBER_DESK = [  # the front office: registering members, invitations, KYC review, lockouts, mass email
    "members.view_member",
    "members.add_member",
    "members.change_member",
    "members.view_user",
    "members.view_invitation",
    "members.add_invitation",
    "members.change_invitation",
    "members.view_activitylog",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accessfailurelog",
    "members.view_kycdocument",
    "members.change_kycdocument",
    "notifications.view_massemail",
    "notifications.add_massemail",
    "notifications.change_massemail",
    "notifications.view_massemaildelivery",
]
AUDIT_READ = [  # everything the member desk sees, read only
    "members.view_member",
    "members.view_user",
    "members.view_invitation",
    "members.view_activitylog",
    "axes.view_accessattempt",
    "axes.view_accessfailurelog",
    "members.view_kycdocument",
    "notifications.view_massemail",
    "notifications.view_massemaildelivery",
]
SYSTEM_ADMIN = [
    "members.add_user",
    "members.change_user",
    "auth.view_group",
    "auth.change_group",
    "society.change_saccosettings",
    "wagtailcore.add_workflow",
    "wagtailcore.change_workflow",
    "wagtailcore.add_task",
    "wagtailcore.change_task",
    "wagtailredirects.add_redirect",
    "wagtailredirects.change_redirect",
    "wagtailredirects.delete_redirect",
]

LEDGER_READ = ["finance.view_account", "finance.view_journalentry", "finance.view_journalline"]
LEDGER_CHART = ["finance.add_account", "finance.change_account"]
BANKING_READ = ["finance.view_bankaccount", "finance.view_bankstatement", "finance.view_banktransaction"]
RECONCILE = [
    "finance.view_bankstatement",
    "finance.view_banktransaction",
    "finance.add_bankstatement",
    "finance.change_banktransaction",
]
BANKING = ["finance.view_bankaccount", "finance.add_bankaccount", "finance.change_bankaccount"]
SAVINGS_READ = [
    "contributions.view_monthlycontribution",
    "contributions.view_sharecapitalpayment",
    "contributions.view_checkoffimport",
    "contributions.view_checkoffrow",
    "contributions.view_membersharesummary",
    "contributions.view_membercontributionschedule",
    "contributions.view_contributionreminder",
]
SAVINGS_POST = [  # the counter and the check-off desk
    "contributions.post_payments",
    "contributions.change_membercontributionschedule",
    "contributions.add_contributionreminder",
]
SAVINGS_REVERSE = ["contributions.reverse_payments"]
CASHBOOK_READ = [
    "finance.view_expensecategory",
    "finance.view_incomecategory",
    "finance.view_saccoexpense",
    "finance.view_saccoincome",
    "finance.view_transactionbatch",
    "finance.view_batchitem",
]
LOAN_PRODUCTS_READ = ["loans.view_loanproduct"]
LOANS_READ = [
    "loans.view_loanproduct",
    "loans.view_loanapplication",
    "loans.view_loan",
    "loans.view_loaninstalment",
    "loans.view_loanrepayment",
    "loans.view_loanreview",
    "loans.view_loanrestructure",  # issue 16: restructures and write-offs (the written-off loans' memo)
    "loans.view_loanwriteoff",
    "loans.view_guarantorrecovery",
    "loans.view_guarantorclaim",
    "loans.view_guaranteesubstitution",
]
LOANS_DECIDE = [  # appraise and vote; the "Loan approval" workflow's steps say who acts when
    "loans.decide_loanapplication",
    "loans.view_loanreview",
    "loans.change_loanreview",
]
LOANS_REPAY = ["loans.record_repayment"]
# Issue 16: prepare a restructure or a write-off; the committee decides it in the workflow "Loan restructure and
# write-off" ("change" only opens the review page, as for the other approvals).
LOANS_WORKOUT_PREPARE = ["loans.prepare_loanrestructure", "loans.prepare_loanwriteoff"]
LOANS_WORKOUT_APPROVE = ["loans.change_loanrestructure", "loans.change_loanwriteoff"]
LOANS_DISBURSE = ["loans.disburse_loan"]
LOANS_REVERSE = ["loans.reverse_loanrepayment"]  # a repayment posted in error (issue 16)
LOANS_RECOVER = ["loans.recover_from_guarantors"]  # maker-checker: the approver is another person (issue 16)
LOANS_SUBSTITUTE = ["loans.substitute_guarantor"]
LOAN_PRODUCTS = ["loans.view_loanproduct", "loans.add_loanproduct", "loans.change_loanproduct"]
# Statement packs and SASRA returns (issue 18) are prepared, read and approved by the same roles.
STATEMENTS_READ = ["reports.view_financialstatement", "reports.view_sasrareturn"]
STATEMENTS_APPROVE = [  # "change" opens the review page
    "reports.view_financialstatement",
    "reports.change_financialstatement",
    "reports.view_sasrareturn",
    "reports.change_sasrareturn",
]
STATEMENTS_PREPARE = [
    "reports.view_financialstatement",
    "reports.prepare_financialstatement",
    "reports.view_sasrareturn",
    "reports.prepare_sasrareturn",
]
DIVIDENDS_READ = ["dividends.view_dividenddeclaration", "dividends.view_memberdividend"]
DIVIDENDS_APPROVE = [*DIVIDENDS_READ, "dividends.change_dividenddeclaration"]  # open the review page
DIVIDENDS_PREPARE = [*DIVIDENDS_READ, "dividends.prepare_dividenddeclaration"]
SAVED_REPORTS = [  # templates and runs; each report type's own permission decides which ones a person sees
    "reports.view_savedreport",
    "reports.add_savedreport",
    "reports.change_savedreport",
    "reports.delete_savedreport",
    "reports.view_report",
]
# The page editors' "Translate" (simple_translation): copies a public page into the Kiswahili tree.
PAGES_TRANSLATE = ["simple_translation.submit_translation"]
BACKUPS = ["reports.view_backup", "reports.add_backup"]  # administrators only: a backup holds everyone's data
CASHBOOK_PREPARE = ["finance.add_transactionbatch"]
CASHBOOK = [
    "finance.add_expensecategory",
    "finance.add_incomecategory",
    "finance.change_expensecategory",
    "finance.change_incomecategory",
    "finance.add_saccoexpense",
    "finance.add_saccoincome",
    "finance.add_transactionbatch",
    "finance.process_transactionbatch",
]

# Model and admin permissions, "app_label.codename".
ROLE_PERMISSIONS: dict[str, list[str]] = {
    MEMBERS: [],
    CLERKS: [
        ACCESS_ADMIN,
        *MEMBER_DESK,
        *SAVINGS_READ,
        *SAVINGS_POST,
        *CASHBOOK_READ,
        *CASHBOOK_PREPARE,
        *LOANS_READ,
        *LOANS_REPAY,
        *SAVED_REPORTS,
        *PAGES_TRANSLATE,
    ],
    LOANS_OFFICERS: [
        ACCESS_ADMIN,
        *MEMBER_REGISTER_READ,
        *SAVINGS_READ,
        *LOANS_READ,
        *LOANS_DECIDE,
        *LOANS_WORKOUT_PREPARE,
        *LOANS_SUBSTITUTE,
        *SAVED_REPORTS,
    ],
    CREDIT_COMMITTEE: [
        ACCESS_ADMIN,
        *MEMBER_REGISTER_READ,
        *SAVINGS_READ,
        *LOANS_READ,
        *LOANS_DECIDE,
        *LOANS_WORKOUT_APPROVE,
        *STATEMENTS_APPROVE,
        *DIVIDENDS_APPROVE,
        *SAVED_REPORTS,
    ],
    TREASURER: [
        ACCESS_ADMIN,
        *MEMBER_REGISTER_READ,
        "society.change_saccosettings",
        *LEDGER_READ,
        *LEDGER_CHART,
        *BANKING,
        *RECONCILE,
        *SAVINGS_READ,
        *SAVINGS_POST,
        *SAVINGS_REVERSE,
        *CASHBOOK_READ,
        *CASHBOOK,
        *LOAN_PRODUCTS,
        *LOANS_READ,
        *LOANS_DISBURSE,
        *LOANS_REPAY,
        *LOANS_WORKOUT_PREPARE,
        *LOANS_REVERSE,
        *LOANS_RECOVER,
        *LOANS_SUBSTITUTE,
        *STATEMENTS_PREPARE,
        *DIVIDENDS_PREPARE,
        *SAVED_REPORTS,
    ],
    AUDITORS: [
        ACCESS_ADMIN,
        *AUDIT_READ,
        *LEDGER_READ,
        *BANKING_READ,
        *SAVINGS_READ,
        *CASHBOOK_READ,
        *LOANS_READ,
        *STATEMENTS_READ,
        *DIVIDENDS_READ,
        *SAVED_REPORTS,
    ],
    ADMINISTRATORS: [
        ACCESS_ADMIN,
        *MEMBER_DESK,
        *SYSTEM_ADMIN,
        *LEDGER_READ,
        *LEDGER_CHART,
        *BANKING,
        *RECONCILE,
        *SAVINGS_READ,
        *SAVINGS_POST,
        *SAVINGS_REVERSE,
        *CASHBOOK_READ,
        *CASHBOOK,
        *LOAN_PRODUCTS,
        *LOANS_READ,
        *LOANS_DECIDE,
        *LOANS_DISBURSE,
        *LOANS_REPAY,
        *LOANS_WORKOUT_PREPARE,
        *LOANS_WORKOUT_APPROVE,
        *LOANS_REVERSE,
        *LOANS_RECOVER,
        *LOANS_SUBSTITUTE,
        *STATEMENTS_PREPARE,
        *STATEMENTS_APPROVE,
        *DIVIDENDS_PREPARE,
        *DIVIDENDS_APPROVE,
        *BACKUPS,
        *SAVED_REPORTS,
        *PAGES_TRANSLATE,
    ],
}

# Membership exits and deaths (issue 16): the counter takes a notice or records a death; the treasurer prepares the
# settlement and another treasurer or an administrator approves it (maker-checker: the service refuses the preparer);
# the treasurer pays the refunds out. Appended to the roles above so this block merges on its own.
EXITS_READ = ["members.view_memberexit", "members.view_exitpayable"]
EXIT_NOTICE = ["members.give_exit_notice", "members.record_death"]
EXIT_SETTLE = ["members.prepare_exit_settlement", "members.approve_exit_settlement"]
EXIT_PAY = ["members.pay_exit_refund"]
for _role, _perms in {
    CLERKS: [*EXITS_READ, *EXIT_NOTICE],
    TREASURER: [*EXITS_READ, *EXIT_SETTLE, *EXIT_PAY],
    AUDITORS: EXITS_READ,
    ADMINISTRATORS: [*EXITS_READ, *EXIT_NOTICE, *EXIT_SETTLE, *EXIT_PAY],
}.items():
    ROLE_PERMISSIONS[_role] = [*ROLE_PERMISSIONS[_role], *_perms]

# Year-end close (issue 18): the treasurer closes a year and prepares the appropriation of its surplus; the credit
# committee and administrators approve it in the workflow "Surplus appropriation" ("change" only opens the review
# page); auditors read. Appended to the roles above so this block merges on its own.
YEAR_END_READ = ["finance.view_yearclose", "finance.view_surplusappropriation"]
YEAR_END_CLOSE = ["finance.close_year", "finance.prepare_surplusappropriation"]
YEAR_END_APPROVE = ["finance.change_surplusappropriation"]
for _role, _perms in {
    TREASURER: [*YEAR_END_READ, *YEAR_END_CLOSE],
    CREDIT_COMMITTEE: [*YEAR_END_READ, *YEAR_END_APPROVE],
    AUDITORS: YEAR_END_READ,
    ADMINISTRATORS: [*YEAR_END_READ, *YEAR_END_CLOSE, *YEAR_END_APPROVE],
}.items():
    ROLE_PERMISSIONS[_role] = [*ROLE_PERMISSIONS[_role], *_perms]

# Accounting periods (issue 18): the treasurer and the administrators request and approve closing or reopening a
# month (maker-checker: the service refuses the requester as approver); the auditors read the periods.
PERIODS_READ = ["finance.view_accountingperiod"]
PERIODS_CLOSE = ["finance.close_accountingperiod"]
for _role, _perms in {
    TREASURER: [*PERIODS_READ, *PERIODS_CLOSE],
    AUDITORS: PERIODS_READ,
    ADMINISTRATORS: [*PERIODS_READ, *PERIODS_CLOSE],
}.items():
    ROLE_PERMISSIONS[_role] = [*ROLE_PERMISSIONS[_role], *_perms]

# Who reads the audit trail (besides superusers); registered with portal.audit.readers in MembersConfig.ready().
AUDIT_TRAIL_READERS = [AUDITORS, ADMINISTRATORS]


def audit_trail_reader(user) -> bool:
    """Auditors and administrators read the audit trail."""
    return user.groups.filter(name__in=AUDIT_TRAIL_READERS).exists()


# Granted by Wagtail itself, not by this matrix: wagtailimages migration 0023 gives "choose image" (as a model
# permission and on the root collection) to every group that may enter the admin. Pruning leaves it alone.
WAGTAIL_IMPLICIT_FOR_ADMIN_ACCESS = ["wagtailimages.choose_image"]

# Page permissions on the whole page tree (public site content).
ROLE_PAGE_PERMISSIONS: dict[str, list[str]] = {
    CLERKS: ["add_page", "change_page"],
    ADMINISTRATORS: ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"],
}

# Document and image permissions on the root collection (by-laws, forms, photos).
ROLE_COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    CLERKS: ["wagtaildocs.add_document", "wagtaildocs.choose_document", "wagtailimages.choose_image"],
    ADMINISTRATORS: [
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtaildocs.delete_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtailimages.delete_image",
    ],
}


def _permission(Permission, dotted: str):
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def roles_sync(apps=None) -> list[str]:
    """Create the groups and grant the matrix's permissions; idempotent.

    `apps` is the historical registry inside a migration, or None for the live models. Returns the
    permissions that do not exist yet (their app is not migrated), which callers may report.
    """
    if apps is None:
        apps = live_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    missing: list[str] = []
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL_ROLES}
    for name, dotted_names in ROLE_PERMISSIONS.items():
        for dotted in dotted_names:
            permission = _permission(Permission, dotted)
            if permission is None:
                missing.append(dotted)
            else:
                groups[name].permissions.add(permission)

    root_page = Page.objects.filter(depth=1).order_by("path").first()
    if root_page is not None:
        for name, codenames in ROLE_PAGE_PERMISSIONS.items():
            for codename in codenames:
                permission = _permission(Permission, f"wagtailcore.{codename}")
                if permission is None:
                    missing.append(f"wagtailcore.{codename}")
                    continue
                GroupPagePermission.objects.get_or_create(group=groups[name], page=root_page, permission=permission)

    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    if root_collection is not None:
        for name, dotted_names in ROLE_COLLECTION_PERMISSIONS.items():
            for dotted in dotted_names:
                permission = _permission(Permission, dotted)
                if permission is None:
                    missing.append(dotted)
                    continue
                GroupCollectionPermission.objects.get_or_create(
                    group=groups[name], collection=root_collection, permission=permission
                )
    return missing


def _dotted(permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def roles_prune(apps=None) -> list[str]:
    """Take from the role groups what the matrix no longer grants; idempotent.

    Only the groups named in the matrix (ALL_ROLES) are touched — a group an administrator made is theirs.
    Model permissions are compared with ROLE_PERMISSIONS; page and collection permissions only on the root page
    and root collection, the one place the matrix grants them (a grant on a sub-tree is a local decision the
    matrix does not speak about). Wagtail's implicit "choose image" stays for groups with admin access. Returns
    what was removed, as "<group>: <permission>" lines, for the caller to report.
    """
    if apps is None:
        apps = live_apps
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    removed: list[str] = []
    root_page = Page.objects.filter(depth=1).order_by("path").first()
    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    for group in Group.objects.filter(name__in=ALL_ROLES).order_by("name"):
        granted = set(ROLE_PERMISSIONS.get(group.name, []))
        implicit = set(WAGTAIL_IMPLICIT_FOR_ADMIN_ACCESS) if ACCESS_ADMIN in granted else set()

        extra = [p for p in group.permissions.select_related("content_type") if _dotted(p) not in granted | implicit]
        if extra:
            group.permissions.remove(*extra)
            removed += sorted(f"{group.name}: {_dotted(p)}" for p in extra)

        if root_page is not None:
            page_granted = set(ROLE_PAGE_PERMISSIONS.get(group.name, []))
            for row in GroupPagePermission.objects.filter(group=group, page=root_page).select_related("permission"):
                if row.permission.codename not in page_granted:
                    row.delete()
                    removed.append(f"{group.name}: page permission {row.permission.codename} on the root page")

        if root_collection is not None:
            collection_granted = set(ROLE_COLLECTION_PERMISSIONS.get(group.name, [])) | implicit
            rows = GroupCollectionPermission.objects.filter(group=group, collection=root_collection)
            for row in rows.select_related("permission__content_type"):
                if _dotted(row.permission) not in collection_granted:
                    row.delete()
                    removed.append(f"{group.name}: {_dotted(row.permission)} on the root collection")
    return removed
