"""Split a ``pip freeze`` into the production lock and the development lock.

``requirements.lock`` gets the production closure: the packages ``[project] dependencies`` of
pyproject.toml name, and everything they need, transitively (read from the installed packages'
metadata, markers evaluated for this Python). ``requirements-dev.lock`` gets the rest (test,
lint and type tools, and what only they need) after a ``-r requirements.lock`` line, so that
installing it installs both. The Docker image installs only the first.

    .venv/bin/python scripts/split_lock.py FREEZE   # make lock does this
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ROOT / "requirements.lock"
DEVELOPMENT = ROOT / "requirements-dev.lock"
PRODUCTION_HEADER = """\
# The production lock: every package the running app needs, direct and transitive, at an exact
# version (the Docker image installs only this). Direct dependencies are declared (pinned) in
# pyproject.toml; regenerate both locks with `make lock`.
"""
DEVELOPMENT_HEADER = """\
# The development lock: the production lock plus the test, lint and type tools (pyproject's
# `dev` extra) and what only they need. `make install` installs this one.
-r requirements.lock
"""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(section: str = "dependencies", pyproject: str | None = None) -> list[Requirement]:
    text = (ROOT / "pyproject.toml").read_text() if pyproject is None else pyproject
    project = tomllib.loads(text)["project"]
    found = (
        project[section] if section == "dependencies" else project["optional-dependencies"][section]
    )
    return [Requirement(line) for line in found]


def production_closure(roots: list[Requirement]) -> set[str]:
    """Canonical names of ``roots`` and of everything they require once installed here."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [
        (canonical(r.name), frozenset(r.extras))
        for r in roots
        if r.marker is None or r.marker.evaluate()
    ]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # not installed here: reported as missing
            continue
        for line in requires:
            requirement = Requirement(line)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            )
            if wanted:
                todo.append((canonical(requirement.name), frozenset(requirement.extras)))
    return seen


def read_pins(text: str) -> dict[str, str]:
    """``name==version`` lines (comments, ``-r`` and blank lines skipped) by canonical name."""
    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-") and "==" in line:
            pins[canonical(line.split("==", 1)[0])] = line
    return pins


def split(freeze: str, pyproject: str | None = None) -> tuple[str, str]:
    pins = read_pins(freeze)
    production = production_closure(declared(pyproject=pyproject))
    missing = sorted(production - set(pins))
    if missing:
        raise SystemExit(f"not in the freeze, though production needs them: {', '.join(missing)}")
    order = sorted(pins, key=lambda name: pins[name].lower())
    prod = [pins[name] for name in order if name in production]
    dev = [pins[name] for name in order if name not in production]
    return (
        PRODUCTION_HEADER + "\n".join(prod) + "\n",
        DEVELOPMENT_HEADER + "\n".join(dev) + "\n",
    )


def main() -> None:
    freeze = Path(sys.argv[1]).read_text()
    prod, dev = split(freeze)
    PRODUCTION.write_text(prod)
    DEVELOPMENT.write_text(dev)


if __name__ == "__main__":
    main()
