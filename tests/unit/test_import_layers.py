"""Issue 13: the apps are a stack, kept by import-linter's contracts in .importlinter (also run by `make lint` and
CI). Running them here makes `make test` refuse an import that climbs the stack, too."""

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_logo=True, no_cache=True) == 0, (
        capsys.readouterr().out
    )


def test_the_import_graph_includes_imports_inside_functions(monkeypatch):
    """The contracts see the imports that used to dodge import errors: loans.models imports the calculator inside
    a method (the calculator builds its form from LoanProduct), and the graph has that edge."""
    monkeypatch.chdir(ROOT)
    graph = grimp.build_graph("portal", cache_dir=None)
    assert graph.direct_import_exists(importer="portal.loans.models", imported="portal.loans.calculator")
    details = graph.get_import_details(importer="portal.loans.models", imported="portal.loans.calculator")
    assert details and "from .calculator import" in details[0]["line_contents"]


def test_the_stack_names_every_app(monkeypatch):
    """A new app must take its place in the stack: every package under portal/ with an apps.py is a layer."""
    config = (ROOT / ".importlinter").read_text()
    apps = {f"portal.{path.parent.name}" for path in (ROOT / "portal").glob("*/apps.py")}
    layers = config.split("layers =", 1)[1].split("\n\n", 1)[0]
    named = {name.strip() for line in layers.splitlines() for name in line.replace(":", "|").split("|")}
    assert apps - named == set()
