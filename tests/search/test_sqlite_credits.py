"""The SQLite backend credits materials, themes, organisation and FAQ in Python from the candidates' token
columns; these checks hold that evaluation to what an FTS5 column filter over the same tokens answers."""

from __future__ import annotations

import sqlite3

import pytest

from yiwang.search.backends.sqlite import _alternatives, compile_match
from yiwang.search.query import All, AnyOf, Expr, Term, matches

DOCUMENTS = {
    1: "居民 身份 身份证 居民身份证 户口 户口簿",
    2: "营业 执照 营业执照 公司 章程",
    3: "出生 医学 证明 出生医学证明 居民 户口簿",
    4: "sfz shenfenzheng 身份证",
    5: "",
}

EXPRESSIONS: list[Expr] = [
    Term("身份证"),
    Term("身份"),
    All((Term("居民"), Term("户口簿"))),
    AnyOf((Term("营业执照"), All((Term("营业"), Term("执照"))))),
    All((AnyOf((Term("居民"), Term("公司"))), AnyOf((Term("户口簿"), Term("章程"))))),
    AnyOf((Term("不存在"), All((Term("出生"), Term("证明"), Term("医学"))))),
    AnyOf((Term("sfz"), Term("居民身份证"))),
]


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    database = sqlite3.connect(":memory:")
    database.execute("CREATE VIRTUAL TABLE t USING fts5(words, tokenize='unicode61 remove_diacritics 0')")
    database.executemany("INSERT INTO t(rowid, words) VALUES (?, ?)", DOCUMENTS.items())
    return database


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=compile_match)
def test_python_credit_matches_what_fts5_matches(fts: sqlite3.Connection, expr: Expr) -> None:
    expected = {row[0] for row in fts.execute("SELECT rowid FROM t WHERE t MATCH ?", [compile_match(expr)])}
    alternatives = _alternatives(expr)
    assert alternatives is not None
    by_sets = {
        rowid for rowid, text in DOCUMENTS.items() if any(a <= set(text.split()) for a in alternatives)
    }
    by_walk = {rowid for rowid, text in DOCUMENTS.items() if matches(expr, set(text.split()))}
    assert by_sets == by_walk == expected


def test_prefix_terms_and_huge_expressions_fall_back_to_the_walk() -> None:
    assert _alternatives(AnyOf((Term("sfz", prefix=True), Term("身份证")))) is None
    wide = All(tuple(AnyOf((Term(f"a{n}"), Term(f"b{n}"))) for n in range(7)))  # 2**7 = 128 sets
    assert _alternatives(wide) is None
    assert matches(wide, {f"a{n}" for n in range(7)})
    assert not matches(wide, {f"a{n}" for n in range(6)})
