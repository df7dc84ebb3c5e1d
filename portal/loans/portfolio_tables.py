"""The loan portfolio (L9) as tables, for the admin's export and the saved-reports catalogue."""

from portal.society.tabular import Section

from .selectors import portfolio_aging, portfolio_by_product, portfolio_report


def loan_portfolio_sections(start, end, today) -> list[Section]:
    """The loan book on `today` as tables: summary, SASRA classes, products and aging (start and end unused: a
    portfolio is a position, not a period; the signature is the report catalogue's)."""
    report = portfolio_report()
    summary = Section(
        "Summary",
        ["Measure", "Value"],
        [
            ["Outstanding principal", report.outstanding],
            ["PAR30 (%)", report.par30],
            ["PAR90 (%)", report.par90],
            ["Provision required", report.provision_required],
            ["Provision held (1190)", report.provision_held],
        ],
    )
    classes = Section(
        "By SASRA class",
        ["Class", "Loans", "Outstanding principal", "Provision rate (%)", "Provision required"],
        [[r.label, r.loans, r.outstanding, r.rate, r.provision] for r in report.rows],
        ["Total", sum(r.loans for r in report.rows), report.outstanding, "", report.provision_required],
    )
    products = portfolio_by_product(today=today)
    by_product = Section(
        "By product",
        ["Product", "Loans", "Principal lent", "Outstanding principal", "Overdue", "PAR30 (%)", "Provision required"],
        [[r.product, r.loans, r.disbursed, r.outstanding, r.overdue, r.par30, r.provision] for r in products],
    )
    aging = Section(
        "Aging",
        ["Days past due", "Loans", "Outstanding principal", "Overdue"],
        [[r.label, r.loans, r.outstanding, r.overdue] for r in portfolio_aging(today=today)],
    )
    return [summary, classes, by_product, aging]
