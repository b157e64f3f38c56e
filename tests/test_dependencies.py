"""The locks and pyproject.toml must agree, or `make test` installs something untested; the
production lock must hold everything the app needs and no development tool, since the Docker
image installs only that one."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DEV_TOOLS = {"pytest", "pytest-django", "playwright", "mypy", "ruff", "django-stubs", "hypothesis"}


def _split_lock() -> ModuleType:
    spec = importlib.util.spec_from_file_location("split_lock", ROOT / "scripts" / "split_lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            package, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", package).lower()] = version
    return pins


def _declared(section: str) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return (
        project["dependencies"] if section == "main" else project["optional-dependencies"][section]
    )


def _check_pinned(requirements: list[str], lock: dict[str, str], lock_name: str) -> None:
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]+\])?==([^;\s]+)", requirement)
        assert match, f"{requirement} is not pinned with =="
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        assert lock.get(name) == match.group(3), (
            f"{name}: pyproject {match.group(3)}, {lock_name} {lock.get(name)}"
        )


def test_every_declared_dependency_is_pinned_and_locked_at_the_same_version():
    production, development = _lock("requirements.lock"), _lock("requirements-dev.lock")
    _check_pinned(_declared("main"), production, "requirements.lock")
    _check_pinned(_declared("dev"), {**production, **development}, "requirements-dev.lock")


def test_the_development_lock_installs_the_production_lock_and_repeats_none_of_it():
    lines = (ROOT / "requirements-dev.lock").read_text().splitlines()

    assert "-r requirements.lock" in lines
    assert not set(_lock("requirements.lock")) & set(_lock("requirements-dev.lock"))


def test_the_production_lock_is_what_production_needs_and_nothing_else():
    split_lock = _split_lock()
    needed = split_lock.production_closure(split_lock.declared())

    locked = set(_lock("requirements.lock"))
    assert needed - locked == set(), "needed at run time but not in the production lock"
    assert locked - needed == set(), "in the production lock but needed only for development"
    assert not DEV_TOOLS & locked


def test_every_package_the_app_imports_is_in_the_production_lock():
    """Read every import of the app's modules: a third-party package only the development lock
    has (Pillow came in through acnportal once) would break the production image."""
    import ast
    import importlib.metadata
    import sys

    distributions = importlib.metadata.packages_distributions()
    production = _lock("requirements.lock")
    first_party = {"accounts", "sharing", "energy", "config", "tests", "bench"}
    missing: dict[str, str] = {}
    for folder in ("accounts", "sharing", "energy", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(), relative)):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in first_party:
                        continue
                    for dist in distributions.get(top, [top]):
                        key = re.sub(r"[-_.]+", "-", dist).lower()
                        if key not in production:
                            missing[key] = relative
    assert not missing, f"imported but not in requirements.lock: {missing}"
