"""Who may touch the lake: principals, their kinds and administrative scope.

Five kinds of principal:

- **department**: one per owning department in the contracts; writes its own datasets'
  ``landing/`` prefixes and reads nothing of other departments;
- **service**: the pipeline itself (``govlake``), which reads and writes the whole lake;
- **analyst**: a person named in ``contracts/principals.yaml`` with an administrative level and
  region code, and groups; reads only the audience views granted to them;
- **privacy_officer**: named in ``contracts/principals.yaml``; reads reports and the catalog, not
  curated rows;
- **public**: anyone, unauthenticated; reads public aggregate views only.

Administrative scope follows the region code (GB/T 2260): a national analyst sees every row, a
provincial one the rows whose region code starts with its province's two digits, a city one its
city's four, a district one its own six.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govlake.errors import ContractError

KINDS = ("department", "service", "analyst", "privacy_officer", "public")
LEVEL_PREFIX = {"national": 0, "provincial": 2, "city": 4, "district": 6}
SERVICE = "govlake"
PUBLIC = "public"
REGISTRY_FILE = "principals.yaml"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE_RE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class Principal:
    name: str
    kind: str
    level: str | None = None
    region_code: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def user_id(self) -> str:
        """The object store's user for this principal (govlake manages users with this prefix only)."""
        return f"gl-{self.kind.replace('_', '-')}-{self.name.replace('_', '-')}" if self.kind != "service" \
            else "gl-service"

    @property
    def scope(self) -> str:
        """The region-code prefix this principal's rows are limited to ("" for everything)."""
        if self.level is None or self.region_code is None:
            return ""
        return self.region_code[: LEVEL_PREFIX[self.level]]


@dataclass(frozen=True)
class Registry:
    analysts: dict[str, Principal] = field(default_factory=dict)
    privacy_officers: dict[str, Principal] = field(default_factory=dict)
    path: Path | None = None

    @property
    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for a in self.analysts.values():
            for g in a.groups:
                out.setdefault(g, []).append(a.name)
        return out

    def expand(self, grantees: tuple[str, ...]) -> list[Principal]:
        """Analysts named directly or through a group, each once."""
        names: dict[str, None] = {}
        groups = self.groups
        for g in grantees:
            for name in groups.get(g, [g] if g in self.analysts else []):
                names[name] = None
        return [self.analysts[n] for n in names]

    def knows(self, grantee: str) -> bool:
        return grantee in self.analysts or grantee in self.groups


def load_registry(directory: Path) -> Registry:
    path = Path(directory) / REGISTRY_FILE
    if not path.exists():
        return Registry(path=None)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or set(doc) - {"analysts", "privacy_officers"}:
        raise ContractError(f"{path}: holds 'analysts' and 'privacy_officers' only")
    analysts, officers = {}, {}
    for i, a in enumerate(doc.get("analysts") or ()):
        where = f"{path}: analysts[{i}]"
        entry = _entry(a, where, {"name", "level", "region_code", "groups", "note"})
        level = entry.get("level")
        if level not in LEVEL_PREFIX:
            raise ContractError(f"{where}: level '{level}' is not one of {', '.join(LEVEL_PREFIX)}")
        code = str(entry.get("region_code", "000000" if level == "national" else ""))
        if not _CODE_RE.match(code):
            raise ContractError(f"{where}: region_code '{code}' must be six digits (GB/T 2260)")
        groups = tuple(entry.get("groups") or ())
        for g in groups:
            if not _NAME_RE.match(str(g)):
                raise ContractError(f"{where}: group '{g}' must be lower_snake_case")
        analysts[entry["name"]] = Principal(entry["name"], "analyst", level, code, groups)
    for i, o in enumerate(doc.get("privacy_officers") or ()):
        entry = _entry(o, f"{path}: privacy_officers[{i}]", {"name", "note"})
        officers[entry["name"]] = Principal(entry["name"], "privacy_officer")
    clash = set(analysts) & set(officers)
    if clash:
        raise ContractError(f"{path}: {', '.join(sorted(clash))} is both an analyst and a privacy officer")
    registry = Registry(analysts, officers, path)
    clash = set(registry.groups) & set(analysts)
    if clash:
        raise ContractError(f"{path}: {', '.join(sorted(clash))} is both an analyst and a group")
    return registry


def _entry(doc: Any, where: str, keys: set[str]) -> dict:
    if not isinstance(doc, dict):
        raise ContractError(f"{where}: must be a mapping")
    unknown = sorted(set(doc) - keys)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(keys))})")
    name = doc.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ContractError(f"{where}: name '{name}' must be lower_snake_case")
    return doc
