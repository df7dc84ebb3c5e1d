"""Test modules never import from other test modules (issue 13): shared helpers live in tests/factories.py,
tests/conftest.py, tests/<kind>/conftest.py or tests/browser/helpers.py. Importing a test module also re-collects
its fixtures under another name and ties the two modules together, so moving one test breaks another."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
KINDS = ("integration", "functional", "browser", "unit")


def is_test_module(name: str) -> bool:
    """`tests.<kind>.test_*` (or anything inside one); tests.conftest, tests.factories, tests.bad_files are fine."""
    parts = name.split(".")
    return len(parts) >= 3 and parts[0] == "tests" and parts[1] in KINDS and parts[2].startswith("test_")


def imported_test_modules(source: str) -> list[str]:
    """Every test module the source imports, at the top or inside functions, in any import form."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from tests.x.test_y import z` names the module; `from tests.x import test_y` names it by its alias.
            names = [node.module] if is_test_module(node.module) else [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [name for name in names if is_test_module(name)]
    return found


def test_the_check_sees_imports_of_test_modules_in_every_form():
    source = (
        "from tests.integration.test_loans import borrower\n"
        "import tests.browser.test_loan_journey\n"
        "from tests.functional import test_api_contract\n"
        "def f():\n    from tests.unit.test_money import x\n"
        "from tests.conftest import PASSWORD\nfrom tests.factories import kyc_verified\nfrom tests.bad_files import x\n"
        "from tests.browser.helpers import sign_in\nfrom tests.integration.conftest import products\n"
    )
    assert imported_test_modules(source) == [
        "tests.integration.test_loans",
        "tests.browser.test_loan_journey",
        "tests.functional.test_api_contract",
        "tests.unit.test_money",
    ]


def test_no_test_module_imports_another_test_module():
    offenders = {
        str(path.relative_to(TESTS)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "move the shared helper or fixture to tests/factories.py or a conftest.py"
