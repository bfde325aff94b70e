"""Message catalogues for the portal without GNU gettext: extract, update, convert and compile in Python.

The source language is Simplified Chinese (msgids). `build()`:

1. extracts every msgid from the portal's Python code and templates (Django's own `templatize` turns a
   template into gettext calls; a tokenizer then reads the calls, so no xgettext is needed);
2. updates `locale/en/LC_MESSAGES/django.po`, keeping the hand-written English, adding new msgids with an
   empty translation and dropping msgids no longer used;
3. regenerates `locale/zh_Hant/LC_MESSAGES/django.po` from the msgids with OpenCC (s2tw, see web.text);
4. compiles both to `.mo` with polib. The `.mo` files are committed, so a fresh machine needs no gettext.

There is one catalogue for the portal's shared code (`src/yiwang/locale`, sources in SOURCES) and one per
app that keeps its own `locale/` folder (`src/yiwang/<app>/locale`, sources: that app). Django merges
them at run time; separate files let each app's strings be maintained without touching the others.

`check()` lists what is out of date (a missing English translation, a catalogue that lags the sources, a
`.mo` that lags its `.po`); `yiwang i18n check` and the test suite fail on any of it.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
from django.utils.translation.template import templatize

from yiwang.web.text import to_traditional

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/yiwang
LOCALE_DIR = PACKAGE_DIR / "locale"

# What the portal shows: its own code and templates, the code tables it labels, the flowchart it inlines,
# the identity pages and API (accounts, the SSO consent and sign-out screens) and the ID/USCC/phone checks
# whose messages those pages show.
SOURCES: tuple[str, ...] = (
    "web",
    "catalog/codes.py",
    "catalog/flowchart.py",
    "accounts",
    "sso",
    "core/validators.py",
)
EXCLUDED_PARTS = frozenset({"migrations", "__pycache__", "static"})

SINGULAR = frozenset({"_", "gettext", "gettext_lazy", "gettext_noop", "ugettext", "ugettext_lazy"})
CONTEXT = frozenset({"pgettext", "pgettext_lazy"})
PLURAL = frozenset({"ngettext", "ngettext_lazy"})
CONTEXT_PLURAL = frozenset({"npgettext", "npgettext_lazy"})

PLURAL_FORMS = {"en": "nplurals=2; plural=(n != 1);", "zh_Hant": "nplurals=1; plural=0;"}
TRANSLATED_LOCALES = ("en", "zh_Hant")


@dataclass(frozen=True, order=True)
class Message:
    msgid: str
    context: str = ""
    plural: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.msgid)


# --- extraction -----------------------------------------------------------------------------------


def _string_run(tokens: list[tokenize.TokenInfo], start: int) -> tuple[str | None, int]:
    """Read adjacent string literals from tokens[start]; returns (value or None, index after them)."""
    parts: list[str] = []
    index = start
    while index < len(tokens) and tokens[index].type in (tokenize.STRING, tokenize.NL, tokenize.NEWLINE):
        token = tokens[index]
        if token.type == tokenize.STRING:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):
                return None, index + 1  # an f-string or bytes: not a translatable constant
            if not isinstance(value, str):
                return None, index + 1
            parts.append(value)
        index += 1
    return ("".join(parts) if parts else None), index


def _arguments(tokens: list[tokenize.TokenInfo], index: int, count: int) -> list[str] | None:
    """The first `count` arguments of a call whose '(' is tokens[index], if all are string constants."""
    values: list[str] = []
    position = index + 1
    for argument in range(count):
        value, position = _string_run(tokens, position)
        if value is None:
            return None
        values.append(value)
        if position >= len(tokens) or tokens[position].string not in (",", ")"):
            return None
        if argument < count - 1:
            if tokens[position].string != ",":
                return None
            position += 1
    return values


def messages_in_code(source: str) -> Iterator[Message]:
    """gettext-family calls with constant arguments, in Python source or templatized template text."""
    tokens: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.COMMENT:
                tokens.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # keep the calls read before the error
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or tokens[index + 1].string != "(":
            continue
        if index > 0 and tokens[index - 1].string == "def":
            continue
        name = token.string
        if name in SINGULAR and (args := _arguments(tokens, index + 1, 1)):
            yield Message(args[0])
        elif name in CONTEXT and (args := _arguments(tokens, index + 1, 2)):
            yield Message(args[1], context=args[0])
        elif name in PLURAL and (args := _arguments(tokens, index + 1, 2)):
            yield Message(args[0], plural=args[1])
        elif name in CONTEXT_PLURAL and (args := _arguments(tokens, index + 1, 3)):
            yield Message(args[1], context=args[0], plural=args[2])


def messages_in_template(text: str, origin: str = "") -> Iterator[Message]:
    # templatize keeps line numbers but not Python's indentation rules: read it line by line, dedented.
    pseudo_python = templatize(text, origin=origin or None)
    yield from messages_in_code("\n".join(line.strip() for line in pseudo_python.splitlines()))


def source_files(sources: Iterable[str] = SOURCES) -> list[Path]:
    files: list[Path] = []
    for relative in sources:
        path = PACKAGE_DIR / relative
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in candidates:
            if file.suffix not in (".py", ".html", ".txt") or not file.is_file():
                continue
            if EXCLUDED_PARTS & set(file.relative_to(PACKAGE_DIR).parts):
                continue
            files.append(file)
    return files


def extract(sources: Iterable[str] = SOURCES) -> list[Message]:
    """Every distinct message of the sources, in the order first seen."""
    seen: dict[tuple[str, str], Message] = {}
    for file in source_files(sources):
        text = file.read_text(encoding="utf-8")
        found = messages_in_code(text) if file.suffix == ".py" else messages_in_template(text, str(file))
        for message in found:
            seen.setdefault(message.key, message)
    return list(seen.values())


# --- catalogues -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """A locale folder and the sources whose messages it holds."""

    locale_dir: Path
    sources: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.locale_dir.parent.name if self.locale_dir != LOCALE_DIR else "yiwang"


def catalogues() -> list[Catalogue]:
    """The shared catalogue, then one per app that has its own `locale/` folder."""
    found = [Catalogue(LOCALE_DIR, SOURCES)]
    for app_locale in sorted(PACKAGE_DIR.glob("*/locale")):
        app = app_locale.parent.name
        if app_locale.is_dir() and app not in SOURCES:
            found.append(Catalogue(app_locale, (app,)))
    return found


def po_path(locale: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / "django.po"


def mo_path(locale: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return po_path(locale, locale_dir).with_suffix(".mo")


HEADERS = {
    "en": "English catalogue of the Yiwang portal. Write the English msgstr here by hand, then run\n"
    "`yiwang i18n build` to add new messages, drop unused ones and compile django.mo.",
    "zh_Hant": "Traditional Chinese catalogue of the Yiwang portal, GENERATED by `yiwang i18n build` from the\n"
    "Simplified Chinese msgids with OpenCC (s2tw). Do not edit: change the source strings instead.",
}


def _new_catalogue(locale: str) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.header = HEADERS[locale]
    po.metadata = {
        "Project-Id-Version": "yiwang",
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS[locale],
    }
    return po


def _load(locale: str, locale_dir: Path = LOCALE_DIR) -> polib.POFile:
    path = po_path(locale, locale_dir)
    return polib.pofile(str(path), wrapwidth=0) if path.exists() else _new_catalogue(locale)


def _entry(message: Message, translation: str = "", plurals: dict[int, str] | None = None) -> polib.POEntry:
    entry = polib.POEntry(msgid=message.msgid, msgctxt=message.context or None)
    if "%(" in message.msgid or "%s" in message.msgid:
        entry.flags.append("python-format")
    if message.plural:
        entry.msgid_plural = message.plural
        entry.msgstr_plural = plurals or {0: "", 1: ""}
    else:
        entry.msgstr = translation
    return entry


def _key(entry: polib.POEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def updated_english(messages: list[Message], locale_dir: Path = LOCALE_DIR) -> polib.POFile:
    """The English catalogue for these messages, keeping every existing translation."""
    existing = {_key(e): e for e in _load("en", locale_dir) if not e.obsolete}
    po = _new_catalogue("en")
    for message in sorted(messages):
        old = existing.get(message.key)
        if old is not None and bool(old.msgid_plural) == bool(message.plural):
            po.append(_entry(message, old.msgstr, dict(old.msgstr_plural) if message.plural else None))
        else:
            po.append(_entry(message))
    return po


def traditional(messages: list[Message]) -> polib.POFile:
    """The Traditional Chinese catalogue: every msgid converted by OpenCC (s2tw)."""
    po = _new_catalogue("zh_Hant")
    for message in sorted(messages):
        if message.plural:
            po.append(_entry(message, plurals={0: to_traditional(message.msgid)}))
        else:
            po.append(_entry(message, to_traditional(message.msgid)))
    return po


def _translations(entries: Iterable[polib.POEntry]) -> dict[tuple[str, str], object]:
    table: dict[tuple[str, str], object] = {}
    for entry in entries:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            if any(entry.msgstr_plural.values()):
                table[_key(entry)] = tuple(sorted(entry.msgstr_plural.items()))
        elif entry.msgstr:
            table[_key(entry)] = entry.msgstr
    return table


def build_catalogue(catalogue: Catalogue) -> dict[str, int]:
    """Write one catalogue's .po and .mo files; returns how many messages each locale translates."""
    messages = extract(catalogue.sources)
    files = {
        "en": updated_english(messages, catalogue.locale_dir),
        "zh_Hant": traditional(messages),
    }
    counts: dict[str, int] = {}
    for locale, po in files.items():
        path = po_path(locale, catalogue.locale_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        po.save(str(path))
        po.save_as_mofile(str(mo_path(locale, catalogue.locale_dir)))
        counts[locale] = len(_translations(po))
    return counts


def build() -> dict[str, dict[str, int]]:
    """Build every catalogue; returns {catalogue name: {locale: translated count}}."""
    return {catalogue.name: build_catalogue(catalogue) for catalogue in catalogues()}


@dataclass(frozen=True)
class Problem:
    locale: str
    message: str

    def __str__(self) -> str:
        return f"[{self.locale}] {self.message}"


def check() -> list[Problem]:
    """Everything that `build` would change or that a translator still has to write, in every catalogue."""
    problems: list[Problem] = []
    for catalogue in catalogues():
        problems.extend(check_catalogue(catalogue))
    return problems


def check_catalogue(catalogue: Catalogue) -> list[Problem]:
    messages = extract(catalogue.sources)
    wanted = {m.key for m in messages}
    problems: list[Problem] = []
    for locale in TRANSLATED_LOCALES:
        where = f"{catalogue.name}/{locale}"
        path = po_path(locale, catalogue.locale_dir)
        if not path.exists():
            problems.append(Problem(where, f"缺少 {path}，请运行 yiwang i18n build。"))
            continue
        po = polib.pofile(str(path))
        have = {_key(e) for e in po if not e.obsolete}
        for context, msgid in sorted(wanted - have):
            problems.append(Problem(where, f"目录缺少消息“{msgid}”{f'（{context}）' if context else ''}。"))
        for context, msgid in sorted(have - wanted):
            problems.append(
                Problem(where, f"目录中的消息“{msgid}”已不再使用{f'（{context}）' if context else ''}。")
            )
        translated = _translations(po)
        if locale == "en":
            for _context, msgid in sorted(wanted - set(translated)):
                problems.append(Problem(where, f"消息“{msgid}”还没有英文翻译。"))
        else:
            expected = _translations(traditional(messages))
            if translated != expected:
                problems.append(
                    Problem(where, "繁体目录与 OpenCC 转换结果不一致，请运行 yiwang i18n build。")
                )
        mo = mo_path(locale, catalogue.locale_dir)
        if not mo.exists():
            problems.append(Problem(where, f"缺少 {mo}，请运行 yiwang i18n build。"))
        elif _translations(polib.mofile(str(mo))) != translated:
            problems.append(Problem(where, f"{mo.name} 与 {path.name} 不一致，请运行 yiwang i18n build。"))
    return problems
