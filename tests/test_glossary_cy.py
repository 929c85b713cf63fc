"""docs/glossary-cy.md holds: each term's English becomes its Welsh in every catalogue and config text, and the
retired words (safonwr, safoni for moderation, apwyntiedigion, ...) appear nowhere.

The texts checked: the Welsh catalogue (messages.po), the role titles (config/roles.toml), the service texts
(config/services.toml), the support contact (config/portal.toml) and the emulator's Welsh pages
(emulator/i18n.py). The glossary's format is described at its top.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from babel.messages.pofile import read_po

from emulator.i18n import WELSH as EMULATOR_WELSH
from tests.support.servers import REPO_ROOT

GLOSSARY = REPO_ROOT / "docs" / "glossary-cy.md"
WELSH_PO = REPO_ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
# Files that are the glossary's subject or its evidence, where retired words may be named: tests and docs.
EXEMPT_FOLDERS = ("tests/", "docs/")
# The files of the texts below: a word still right for something (safoni) is judged there per text.
PAIRED_FILES = {"translations/cy/LC_MESSAGES/messages.po", "translations/cy/LC_MESSAGES/messages.mo",
                "config/roles.toml", "config/services.toml", "config/portal.toml", "emulator/i18n.py"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
ADDRESS = re.compile(r"https?://\S+|\S+@\S+")
VOWELS = "aeiouwyâêîôûŵŷáéíóúẃýàèìòùẁỳäëïöüẅÿ"
# Initial consonant mutations (radical -> mutated), longest radical first so "ll" is tried before "l".
SOFT = (("ll", "l"), ("rh", "r"), ("p", "b"), ("t", "d"), ("c", "g"), ("b", "f"), ("d", "dd"), ("g", ""),
        ("m", "f"))
NASAL = (("p", "mh"), ("t", "nh"), ("c", "ngh"), ("b", "m"), ("d", "n"), ("g", "ng"))
ASPIRATE = (("p", "ph"), ("t", "th"), ("c", "ch"))


@dataclass(frozen=True)
class Pair:
    """One text in English and in Welsh, and where it comes from."""

    source: str
    english: str
    welsh: str


@dataclass(frozen=True)
class Term:
    """A row of the glossary's Terms table: English forms, and the Welsh forms (radical) any of which will do."""

    english: tuple[str, ...]
    welsh: tuple[str, ...]


@dataclass(frozen=True)
class Retired:
    """A row of the Retired words table: the words, and English words for which they are still right."""

    words: tuple[str, ...]
    still_right_for: tuple[str, ...]


def _table(markdown: str, heading: str) -> list[list[str]]:
    """The cells of the first table after ``## heading`` (header and separator rows left out)."""
    section = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]


def _forms(cell: str) -> tuple[str, ...]:
    return tuple(form.strip() for form in cell.split(",") if form.strip())


@cache
def glossary() -> tuple[tuple[Term, ...], tuple[Retired, ...]]:
    text = GLOSSARY.read_text(encoding="utf-8")
    terms = tuple(Term(_forms(row[0]), _forms(row[1])) for row in _table(text, "Terms"))
    retired = tuple(Retired(_forms(row[0]), _forms(row[2])) for row in _table(text, "Retired words"))
    return terms, retired


def mutations(form: str) -> set[str]:
    """``form`` (lower case) and its first word under every initial mutation."""
    form = form.lower()
    found = {form}
    for table in (SOFT, NASAL, ASPIRATE):
        for radical, mutated in table:
            if form.startswith(radical):
                found.add(mutated + form[len(radical):])
                break
    if form[:1] in VOWELS:
        found.add("h" + form)
    return found


def _pattern(forms: Iterable[str]) -> re.Pattern[str]:
    """Any of ``forms`` as whole words, any case; a space in a form matches any run of spaces."""
    alternatives = sorted({re.escape(f.lower()).replace(r"\ ", r"\s+") for f in forms}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _welsh_pattern(forms: Iterable[str]) -> re.Pattern[str]:
    return _pattern(m for form in forms for m in mutations(form))


def _plain(text: str) -> str:
    """Lower case, without placeholders and addresses (``%(service)s`` is not the word "service")."""
    return ADDRESS.sub(" ", PLACEHOLDER.sub(" ", text)).lower()


def term_problems(pairs: Iterable[Pair], terms: Iterable[Term]) -> list[str]:
    """Texts whose English has a glossary term and whose Welsh has none of that term's forms."""
    checks = sorted(((form, _pattern([form]), _welsh_pattern(term.welsh), term) for term in terms
                     for form in term.english), key=lambda check: len(check[0]), reverse=True)
    problems = []
    for pair in pairs:
        english, welsh = _plain(pair.english), _plain(pair.welsh)
        for form, english_pattern, welsh_pattern, term in checks:
            if english_pattern.search(english):
                if not welsh_pattern.search(welsh):
                    problems.append(f"{pair.source}: {pair.english!r} says {form!r}, so its Welsh needs "
                                    f"{' or '.join(term.welsh)!r} (docs/glossary-cy.md): {pair.welsh!r}")
                # Longer terms first: "All Services" is Pob Gwasanaeth, not also a check of "services".
                english = english_pattern.sub(" | ", english)
    return problems


def retired_problems(pairs: Iterable[Pair], retired: Iterable[Retired]) -> list[str]:
    """Welsh texts using a retired word where the English is not what the word is still right for."""
    problems = []
    for row in retired:
        pattern, allowed = _welsh_pattern(row.words), _pattern(row.still_right_for)
        for pair in pairs:
            still_right = bool(row.still_right_for) and allowed.search(_plain(pair.english)) is not None
            if pattern.search(_plain(pair.welsh)) and not still_right:
                problems.append(f"{pair.source}: {pair.welsh!r} uses the retired {row.words[0]!r} "
                                f"(docs/glossary-cy.md): {pair.english!r}")
    return problems


def catalogue_pairs() -> Iterator[Pair]:
    with WELSH_PO.open("rb") as file:
        catalogue = read_po(file)
    for message in catalogue:
        if not message.id:
            continue
        english = " ".join(message.id) if isinstance(message.id, (list, tuple)) else message.id
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for welsh in strings:
            yield Pair(f"messages.po line {message.lineno}", english, welsh)


def config_pairs() -> Iterator[Pair]:
    roles = tomllib.loads((REPO_ROOT / "config" / "roles.toml").read_text(encoding="utf-8"))
    for role_id, role in roles["roles"].items():
        yield Pair(f"roles.toml roles.{role_id}.title_cy", role["title"], role["title_cy"])
    services = tomllib.loads((REPO_ROOT / "config" / "services.toml").read_text(encoding="utf-8"))
    for table in ("categories", "services"):
        for entry in services[table]:
            for key in ("title", "description", "heading"):
                if key in entry:
                    yield Pair(f"services.toml {table} {entry['id']} {key}_cy", entry[key], entry[f"{key}_cy"])
    portal = tomllib.loads((REPO_ROOT / "config" / "portal.toml").read_text(encoding="utf-8"))["portal"]
    yield Pair("portal.toml portal.support_contact_cy", portal["support_contact"], portal["support_contact_cy"])


def code_pairs() -> Iterator[Pair]:
    """Welsh written in the code itself: the My Favourites group of the All Services menu."""
    from portal_app.catalogue import menu

    titles = getattr(menu, "FAVOURITES_TITLE", None)
    if titles:
        yield Pair("portal_app/catalogue/menu.py FAVOURITES_TITLE", titles["en"], titles["cy"])


def emulator_pairs() -> Iterator[Pair]:
    for english, welsh in EMULATOR_WELSH.items():
        yield Pair("emulator/i18n.py", english, welsh)


def every_pair() -> list[Pair]:
    return [*catalogue_pairs(), *config_pairs(), *code_pairs(), *emulator_pairs()]


def repository_files() -> list[str]:
    """Every file of the working tree that git would commit (tracked, or new and not ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode()
    return sorted(name for name in set(listed.split("\0")) if name and (REPO_ROOT / name).is_file())


def test_the_glossary_is_read_as_intended():
    terms, retired = glossary()
    assert len(terms) > 50 and all(term.english and term.welsh for term in terms)
    assert Term(("Moderator", "moderators"), ("cymedrolwr", "cymedrolwyr")) in terms
    assert Retired(("safoni",), ("standardisation", "standardise", "standardised", "standardising")) in retired


def test_every_catalogue_and_config_text_uses_the_glossarys_welsh():
    assert term_problems(every_pair(), glossary()[0]) == []


def test_no_text_uses_a_retired_word():
    assert retired_problems(every_pair(), glossary()[1]) == []


def test_retired_words_appear_in_no_file_outside_tests_and_docs():
    """Code, templates, data and documents too (the Welsh formula PDF once said "fformiwla safoni")."""
    checks = [(_welsh_pattern(row.words), row) for row in glossary()[1]]
    found = []
    for name in repository_files():
        if name.startswith(EXEMPT_FOLDERS):
            continue
        text = (REPO_ROOT / name).read_bytes().decode("utf-8", errors="replace").lower()
        for pattern, row in checks:
            # A word still right for something (safoni: standardisation) is judged per text by the test above.
            if row.still_right_for and name in PAIRED_FILES:
                continue
            found += [f"{name}: {match.group(0)!r}" for match in pattern.finditer(text)]
    assert found == []



def test_the_support_contact_always_follows_a():
    """The Welsh contact is written to follow "â" (thîm ...), so every sentence naming it must say "â"."""
    wrong = [pair for pair in catalogue_pairs() if "%(contact)s" in pair.welsh and "â %(contact)s" not in pair.welsh]
    assert wrong == []


def test_mutations_cover_the_forms_welsh_needs():
    assert {"marc", "farc", "nmarc"} & mutations("marc") == {"marc", "farc"}
    assert mutations("cymedrolwr") >= {"gymedrolwr", "nghymedrolwr", "chymedrolwr"}
    assert mutations("tîm cymorth") >= {"thîm cymorth", "dîm cymorth"}
    assert mutations("enw defnyddiwr") >= {"henw defnyddiwr"}
    assert mutations("gweithio fel") >= {"weithio fel"}
    assert mutations("rhif cyfan") >= {"rif cyfan"}


@pytest.mark.parametrize("english, welsh", [
    ("Moderator", "Safonwr"),
    ("Moderated mark", "Marc wedi'i safoni"),
    ("Electronic Mark Input", "Mewnbynnu Marciau Electronig"),
    ("Principal Moderator", "Prif Safonwr"),
    ("Contact appointee support.", "Cysylltwch â'r tîm cymorth i benodeion."),
    ("Back to All Services", "Yn ôl i'r Holl Wasanaethau"),
    ("Entry", "Cofnod"),
])
def test_a_text_off_the_glossary_is_caught(english, welsh):
    assert term_problems([Pair("example", english, welsh)], glossary()[0])


@pytest.mark.parametrize("english, welsh", [
    ("Moderator", "Safonwr"),
    ("Moderated mark", "Marc wedi'i safoni"),
    ("Still to moderate", "I'w safoni o hyd"),
    ("contact appointee support", "cysylltwch â'r tîm cymorth i apwyntiedigion"),
    ("Check every link of the All Services menu", "Gwirio pob dolen yn newislen yr Holl Wasanaethau"),
])
def test_a_retired_word_is_caught(english, welsh):
    assert retired_problems([Pair("example", english, welsh)], glossary()[1])


def test_safoni_is_still_right_for_standardisation():
    pairs = [Pair("example", "VIEW STANDARDISATION CONFERENCE AGENDA", "GWELD AGENDA'R GYNHADLEDD SAFONI")]
    assert retired_problems(pairs, glossary()[1]) == []
