"""config/roles.toml validation: every problem reported at once, with the file, the key and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auth.permissions import Role
from auth.roles import RoleConfigError, RoleRules

SHIPPED_ROLES = Path(__file__).resolve().parents[2] / "config" / "roles.toml"

VALID = """\
[roles.examiner]
title = "Examiner"
title_cy = "Arholwr"
permissions = ["emi:view"]

[[rules]]
name = "r0"
grant = ["examiner"]
app_roles_any = ["Examiner"]
"""


def load_text(tmp_path: Path, text: str | bytes) -> RoleRules:
    path = tmp_path / "roles.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return RoleRules.load(path)


def problems_of(tmp_path: Path, text: str | bytes) -> list:
    with pytest.raises(RoleConfigError) as caught:
        load_text(tmp_path, text)
    return caught.value.problems


def test_shipped_rules_load_and_define_every_role_in_both_languages():
    rules = RoleRules.load(SHIPPED_ROLES)

    assert set(rules.definitions) == set(Role)
    assert all(d.title and d.title_cy and d.title != d.title_cy for d in rules.definitions.values())


def test_every_key_in_the_shipped_rules_is_commented():
    lines = SHIPPED_ROLES.read_text(encoding="utf-8").splitlines()
    uncommented = [
        f"line {number}: {line}"
        for number, line in enumerate(lines, start=1)
        if re.match(r"^\s*\w+\s*=", line) and "#" not in line and not lines[number - 2].lstrip().startswith("#")
    ]

    assert uncommented == []


def test_a_valid_minimal_file_loads(tmp_path):
    rules = load_text(tmp_path, VALID)

    assert [rule.name for rule in rules.rules] == ["r0"]


CONDITIONS = 'app_roles_any = ["Examiner"]'
BAD_FILES = {
    "unknown role table": (
        VALID + '[roles.wizard]\ntitle = "W"\ntitle_cy = "D"\npermissions = []\n',
        "roles.wizard", "unknown role 'wizard'", "use one of: examiner, examining_team_leader",
    ),
    "unknown permission": (
        VALID.replace('["emi:view"]', '["emi:view", "emi:delete"]'),
        "roles.examiner.permissions[1]", "unknown permission 'emi:delete'", "emi:enter-marks",
    ),
    "permissions not a list": (
        VALID.replace('["emi:view"]', '"emi:view"'),
        "roles.examiner.permissions", "not a list", 'permissions = ["resource:action"',
    ),
    "missing Welsh title": (
        VALID.replace('title_cy = "Arholwr"\n', ""),
        "roles.examiner.title_cy", "missing or empty", "title_cy =",
    ),
    "unknown role key": (
        VALID.replace('title = "Examiner"', 'title = "Examiner"\ncolour = "red"'),
        "roles.examiner.colour", "not a known key", "title, title_cy and permissions",
    ),
    "grant of an unknown role": (
        VALID.replace('grant = ["examiner"]', 'grant = ["examiner", "wizard"]'),
        "rules[0].grant[1]", "unknown role 'wizard'", "defined under [roles]: examiner",
    ),
    "grant of a role with no table": (
        VALID.replace('grant = ["examiner"]', 'grant = ["moderator"]'),
        "rules[0].grant[0]", "unknown role 'moderator'", "defined under [roles]",
    ),
    "empty grant": (
        VALID.replace('grant = ["examiner"]', "grant = []"),
        "rules[0].grant", "missing or empty", "at least one role",
    ),
    "missing grant": (
        VALID.replace('grant = ["examiner"]\n', ""),
        "rules[0].grant", "missing or empty", "at least one role",
    ),
    "malformed group id": (
        VALID.replace(CONDITIONS, 'groups_any = ["Examiners"]'),
        "rules[0].groups_any[0]", "malformed group id 'Examiners'", "Object ID",
    ),
    "group id with braces": (
        VALID.replace(CONDITIONS, 'groups_any = ["{e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b}"]'),
        "rules[0].groups_any[0]", "malformed group id", "Object ID",
    ),
    "unknown condition key": (
        VALID.replace(CONDITIONS, CONDITIONS + '\nroles_any = ["Examiner"]'),
        "rules[0].roles_any", "not a known key", "app_roles_any, groups_any, upn_domains_any",
    ),
    "rule with no conditions": (
        VALID.replace(CONDITIONS, ""),
        "rules[0]", "has no conditions", "add at least one of app_roles_any",
    ),
    "empty condition list": (
        VALID.replace(CONDITIONS, "app_roles_any = []"),
        "rules[0].app_roles_any", "an empty list never matches", 'app_roles_any = ["..."]',
    ),
    "condition not a list": (
        VALID.replace(CONDITIONS, 'app_roles_any = "Examiner"'),
        "rules[0].app_roles_any", "not a non-empty list", 'app_roles_any = ["..."]',
    ),
    "domain written with @": (
        VALID.replace(CONDITIONS, 'upn_domains_any = ["@wjec-appointees.co.uk"]'),
        "rules[0].upn_domains_any[0]", "malformed domain", "bare domain",
    ),
    "condition value not a string": (
        VALID.replace(CONDITIONS, "app_roles_any = [42]"),
        "rules[0].app_roles_any[0]", "not a non-empty string", "quote the value",
    ),
    "rule without a name": (
        VALID.replace('name = "r0"\n', ""),
        "rules[0].name", "missing or empty", "name =",
    ),
    "duplicate rule names": (
        VALID + '\n[[rules]]\nname = "r0"\ngrant = ["examiner"]\napp_roles_any = ["Examiner"]\n',
        "rules[1].name", "duplicate rule name 'r0'", "its own name",
    ),
    "unknown section": (
        "[settings]\nstrict = true\n" + VALID,
        "settings", "not a known section", "[roles.<id>] and [[rules]]",
    ),
    "no rules": (
        VALID.split("[[rules]]")[0],
        "rules", "missing or empty", "add at least one [[rules]]",
    ),
    "no roles": (
        VALID.split("[[rules]]")[1].join(["[[rules]]", ""]),
        "roles", "missing or empty", "[roles.<id>]",
    ),
    "bad TOML syntax": (
        VALID.replace('title_cy = "Arholwr"', "title_cy = Arholwr"),
        "line 3", "is not valid TOML", "correct the TOML syntax",
    ),
    "not UTF-8": (
        VALID.replace("Arholwr", "Arholwr\xe9").encode("latin-1"),
        "(encoding)", "is not UTF-8", "save the file as UTF-8",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("text", "key", "message", "fix"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_config_problem_names_the_file_the_key_and_the_fix(tmp_path, text, key, message, fix):
    problems = problems_of(tmp_path, text)

    matching = [p for p in problems if p.key == key]
    assert matching, f"no problem at {key}; got {[str(p) for p in problems]}"
    assert message in matching[0].problem
    assert fix in matching[0].fix
    assert matching[0].source == str(tmp_path / "roles.toml")


def test_reports_every_problem_at_once(tmp_path):
    text = (
        VALID.replace('["emi:view"]', '["emi:delete"]')
        .replace('grant = ["examiner"]', 'grant = ["wizard"]')
        .replace(CONDITIONS, 'groups_any = ["Examiners"]\nrole_any = ["x"]')
    )

    problems = problems_of(tmp_path, text)

    assert [p.key for p in problems] == [
        "roles.examiner.permissions[0]",
        "rules[0].role_any",
        "rules[0].grant[0]",
        "rules[0].groups_any[0]",
    ]


def test_the_error_message_lists_file_key_and_fix_for_the_log(tmp_path):
    with pytest.raises(RoleConfigError) as caught:
        load_text(tmp_path, VALID.replace('grant = ["examiner"]', 'grant = ["wizard"]'))

    text = str(caught.value)
    assert str(tmp_path / "roles.toml") in text
    assert "rules[0].grant[0]: unknown role 'wizard'. Fix: use a role defined under [roles]" in text


def test_a_missing_file_is_a_config_problem(tmp_path):
    with pytest.raises(RoleConfigError) as caught:
        RoleRules.load(tmp_path / "absent.toml")

    assert caught.value.problems[0].key == "(file)"
    assert "create the file" in caught.value.problems[0].fix
