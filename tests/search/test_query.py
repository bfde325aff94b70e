"""Query understanding without a database: folding, pinyin, synonyms, segmentation and typo correction."""

from __future__ import annotations

import pytest

from yiwang.search import highlight, synonyms
from yiwang.search.backends.postgres import compile_tsquery
from yiwang.search.backends.sqlite import compile_match
from yiwang.search.query import All, AnyOf, QueryParser, Term
from yiwang.search.segment import get_segmenter
from yiwang.search.text import normalise, pinyin_forms, pinyin_span
from yiwang.search.vocabulary import TermRow, build_vocabulary


def _row(term: str, kind: str = "name", count: int = 1) -> TermRow:
    full, initials = pinyin_forms(term)
    return (term, kind, full, initials, count, term)


@pytest.fixture
def parser() -> QueryParser:
    words = build_vocabulary(
        "test",
        [
            _row("居民身份证申领", count=10),
            _row("身份证", "word", 30),
            _row("申领", "word", 20),
            _row("居民身份证", "material", 25),
            _row("身份", "word", 5),
            _row("户口迁移", count=8),
            _row("内地居民结婚登记", count=4),
        ],
    )
    get_segmenter().add_words(words.dictionary_words)
    return QueryParser(vocabulary=words)


def _terms(expr: object) -> set[str]:
    if isinstance(expr, Term):
        return {expr.text}
    assert isinstance(expr, All | AnyOf)
    return set().union(*(_terms(part) for part in expr.parts))


def test_traditional_full_width_and_case_are_folded() -> None:
    assert normalise("身份證") == "身份证"
    assert normalise("戶口遷移") == "户口迁移"
    assert normalise("ＳＦＺ　申領！") == "sfz 申领"


def test_pinyin_forms_and_spans() -> None:
    assert pinyin_forms("身份证") == ("shenfenzheng", "sfz")
    assert pinyin_span("居民身份证申领", "sfz") == (2, 5)
    assert pinyin_span("居民身份证申领", "shenfenzheng") == (2, 5)
    assert pinyin_span("居民身份证申领", "jumin") == (0, 2)
    assert pinyin_span("居民身份证申领", "shenfenzh") == (2, 5)  # an unfinished last syllable
    assert pinyin_span("居民身份证申领", "hukou") is None


def test_traditional_query_becomes_the_simplified_word(parser: QueryParser) -> None:
    parsed = parser.parse("身份證")
    assert parsed.normalised == "身份证"
    assert "身份证" in _terms(parsed.expr())


def test_full_pinyin_and_initials_map_to_known_words(parser: QueryParser) -> None:
    for latin in ("shenfenzheng", "sfz"):
        parsed = parser.parse(latin)
        terms = _terms(parsed.expr())
        assert latin in terms  # the pinyin tokens of the index
        assert "身份证" in terms  # and the words it stands for
        assert "身份证" in parsed.highlight_words()


def test_run_together_pinyin_is_split_into_known_words(parser: QueryParser) -> None:
    parsed = parser.parse("shenfenzhengshenling")
    terms = _terms(parsed.expr())
    assert {"shenfenzheng", "shenling", "身份证", "申领"} <= terms


def test_separate_syllables_are_joined(parser: QueryParser) -> None:
    parsed = parser.parse("shen fen zheng")
    assert len(parsed.groups) == 1
    assert "身份证" in _terms(parsed.expr())


def test_colloquial_words_expand_to_official_phrases(parser: QueryParser) -> None:
    parsed = parser.parse("驾照")
    assert "机动车驾驶证" in parsed.highlight_words()
    assert "驾照" in _terms(parsed.expr())
    phrases = parsed.phrases()
    assert "机动车驾驶证" in phrases and "驾照" in phrases


def test_stopwords_are_dropped(parser: QueryParser) -> None:
    parsed = parser.parse("我要怎么办身份证")
    assert [group.source for group in parsed.groups] == ["身份证"]


def test_only_stopwords_still_search_for_something(parser: QueryParser) -> None:
    assert parser.parse("怎么办").groups


def test_one_wrong_character_is_corrected(parser: QueryParser) -> None:
    assert parser.correct("身份正") == "身份证"
    assert parser.correct("居民身份正申领") == "居民身份证申领"
    assert parser.correct("户口迁一") == "户口迁移"
    assert parser.correct("身份证") is None  # nothing to correct


def test_synonym_table_is_large_enough_and_well_formed() -> None:
    table = synonyms.get_synonyms()
    assert len(table.expansions) >= 60
    assert table.expansions["户口"] == ("户籍",)
    assert "市场主体登记" in table.expansions["营业执照"]
    assert table.expansions["身份证"] == ("居民身份证",)
    assert all(phrases for phrases in table.expansions.values())
    assert "我要" in table.stopwords


def test_fts5_and_tsquery_quote_every_token() -> None:
    expr = All((Term('a"b'), AnyOf((Term("身份证"), Term("sfz", prefix=True)))))
    assert compile_match(expr) == '("a""b" AND ("身份证" OR "sfz"*))'
    assert compile_tsquery(All((Term("o'k"), Term("sfz", prefix=True)))) == "('o''k' & 'sfz':*)"


def test_highlight_escapes_everything_but_the_marks() -> None:
    html = highlight.mark("<script>alert(1)</script>身份证", ["身份证"])
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>身份证</mark>"
    assert highlight.mark("<b>", ["<b>"]) == "<mark>&lt;b&gt;</mark>"
    assert highlight.mark("居民身份证申领", [], latin=["sfz"]) == "居民<mark>身份证</mark>申领"
    assert highlight.mark("户口迁移", ["身份证"]) is None
