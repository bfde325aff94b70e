"""Query understanding: from what a person typed to a boolean expression over index tokens.

Steps: fold (NFKC, lower case, Traditional → Simplified) → find colloquial words from the synonym table →
cut the rest with jieba (precise mode, domain dictionary) and drop stopwords → read latin runs as pinyin
(full or initials, split into known words when run together) → one group per piece, each an OR of
alternatives; the query is the AND of its groups. Also: the hanzi phrases the query may stand for (to rank
exact and prefix name matches first), the words to highlight, and a one-character typo correction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from yiwang.search.segment import Segmenter, get_segmenter
from yiwang.search.synonyms import SynonymTable, get_synonyms
from yiwang.search.text import CJK_CHAR, RUN, cjk_chars, is_cjk, is_latin, normalise
from yiwang.search.vocabulary import Vocabulary, get_vocabulary

MAX_QUERY_LENGTH = 100
MAX_PHRASES = 16
PINYIN_WORDS_PER_TOKEN = 5
MIN_PREFIX_LENGTH = 3


@dataclass(frozen=True)
class Term:
    """One index token; `prefix` matches every token that starts with it."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class All:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Expr, ...]


Expr = Term | All | AnyOf


def matches(expr: Expr, tokens: set[str]) -> bool:
    """Whether a text with these words matches `expr`, as the full-text index would read it (whole words;
    a prefix term matches a word it begins)."""
    if isinstance(expr, Term):
        if expr.prefix:
            return any(token.startswith(expr.text) for token in tokens)
        return expr.text in tokens
    if isinstance(expr, All):
        return all(matches(part, tokens) for part in expr.parts)
    return any(matches(part, tokens) for part in expr.parts)


def all_of(parts: list[Expr]) -> Expr | None:
    unique = tuple(dict.fromkeys(parts))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else All(unique)


def any_of(parts: list[Expr]) -> Expr | None:
    """OR of the parts, flattened, and without alternatives implied by another (a OR (a AND b) = a)."""
    flat: list[Expr] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, AnyOf) else (part,))
    unique = list(dict.fromkeys(flat))
    terms = {part for part in unique if isinstance(part, Term)}
    kept = tuple(
        part for part in unique if not (isinstance(part, All) and any(sub in terms for sub in part.parts))
    )
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else AnyOf(kept)


@dataclass
class Group:
    """One piece of the query and every way it may appear in the index."""

    source: str
    expr: Expr
    phrases: tuple[str, ...] = ()  # hanzi renderings of the piece, for name-match ranking
    words: tuple[str, ...] = ()  # words to highlight in every field
    chars: tuple[str, ...] = ()  # single characters: highlighted in names and aliases only
    latin: tuple[str, ...] = ()  # pinyin tokens, highlighted where a name's pinyin matches
    content: bool = True  # False for a lone character, which the relaxed pass may drop


@dataclass
class ParsedQuery:
    text: str
    normalised: str
    groups: list[Group] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def expr(self) -> Expr | None:
        return all_of([group.expr for group in self.groups])

    def relaxed_expr(self) -> Expr | None:
        """Only the content groups (lone characters dropped), or None when that changes nothing."""
        content = [group.expr for group in self.groups if group.content]
        if not content or len(content) == len(self.groups):
            return None
        return all_of(content)

    def unigram_expr(self) -> Expr | None:
        """Every CJK character of the query somewhere in names or aliases: the last resort."""
        chars = cjk_chars(self.normalised)
        return all_of([Term(char) for char in chars]) if len(chars) >= 2 else None

    def phrases(self) -> tuple[str, ...]:
        options = [group.phrases for group in self.groups if group.phrases]
        found: dict[str, None] = {}
        if options and len(options) == len(self.groups):
            for combination in itertools.islice(itertools.product(*options), MAX_PHRASES):
                found["".join(combination)] = None
        compact = self.normalised.replace(" ", "")
        if compact and all(CJK_CHAR.fullmatch(char) for char in compact):
            found[compact] = None
        return tuple(phrase for phrase in found if phrase)

    def highlight_words(self) -> tuple[str, ...]:
        words = {word for group in self.groups for word in group.words if len(word) >= 2}
        return tuple(sorted(words, key=lambda word: (-len(word), word)))

    def highlight_chars(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(char for group in self.groups for char in group.chars))

    def latin_tokens(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(token for group in self.groups for token in group.latin))


class QueryParser:
    def __init__(
        self,
        vocabulary: Vocabulary | None = None,
        segmenter: Segmenter | None = None,
        synonyms: SynonymTable | None = None,
    ) -> None:
        self.vocabulary = vocabulary if vocabulary is not None else get_vocabulary()
        self.segmenter = segmenter if segmenter is not None else get_segmenter()
        self.synonyms = synonyms if synonyms is not None else get_synonyms()

    # -- public ------------------------------------------------------------------------------------------

    def parse(self, text: str) -> ParsedQuery:
        normalised = normalise(text[: MAX_QUERY_LENGTH * 2])
        parsed = ParsedQuery(text=text, normalised=normalised)
        runs = RUN.findall(normalised)
        index = 0
        while index < len(runs):
            run = runs[index]
            if is_latin(run):
                cluster = [run]
                while index + 1 < len(runs) and is_latin(runs[index + 1]):
                    index += 1
                    cluster.append(runs[index])
                parsed.groups.extend(self._latin_cluster(cluster))
            elif is_cjk(run):
                parsed.groups.extend(self._cjk_run(run))
            else:
                parsed.groups.append(Group(source=run, expr=Term(run), phrases=(run,), words=(run,)))
            index += 1
        return parsed

    def correct(self, normalised: str) -> str | None:
        """The query with one character replaced so that a known term appears, or None.

        Looks at the longest unknown stretches first (an unknown whole run, then ever shorter pieces of at
        least three characters) and takes the replacement found in the most documents.
        """
        best: tuple[int, int, str, int, str] | None = None  # (length, count, run, start, replacement)
        for run in RUN.findall(normalised):
            if not is_cjk(run) or self._known(run):
                continue
            for length in range(len(run), 1, -1):
                if length == 2 and len(run) != 2:
                    break
                for start in range(len(run) - length + 1):
                    piece = run[start : start + length]
                    if self._known(piece):
                        continue
                    for candidate in self.vocabulary.substitutions(piece)[:1]:
                        score = (length, self.vocabulary.count(candidate))
                        if best is None or score > best[:2]:
                            best = (length, score[1], run, start, candidate)
                if best is not None and best[0] == length:
                    break
        if best is None:
            return None
        length, _, run, start, candidate = best
        corrected_run = run[:start] + candidate + run[start + length :]
        return normalised.replace(run, corrected_run, 1)

    # -- pieces --------------------------------------------------------------------------------------------

    def _known(self, word: str) -> bool:
        return word in self.vocabulary or word in self.synonyms.expansions or word in self.synonyms.stopwords

    def _cjk_run(self, run: str) -> list[Group]:
        groups: list[Group] = []
        pending = ""
        position = 0
        while position < len(run):
            key = self.synonyms.find(run, position)
            known = self._longest_term(run, position, longer_than=len(key) if key else 1)
            if known is not None:
                # A catalogue term wins over a colloquial word inside it (居民身份证申领 is not 身份证).
                pending += known
                position += len(known)
                continue
            if key is None:
                pending += run[position]
                position += 1
                continue
            groups.extend(self._plain_words(pending))
            pending = ""
            groups.append(self._synonym_group(key))
            position += len(key)
        groups.extend(self._plain_words(pending))
        if not groups and run:
            # Nothing but stopwords: search for them after all rather than for nothing.
            groups = [self._word_group(word) for word in self.segmenter.query_words(run)]
        return groups

    def _longest_term(self, run: str, start: int, *, longer_than: int) -> str | None:
        """The longest vocabulary term starting at `start`, if it is longer than `longer_than`."""
        for end in range(len(run), start + longer_than, -1):
            if run[start:end] in self.vocabulary:
                return run[start:end]
        return None

    def _plain_words(self, text: str) -> list[Group]:
        if not text:
            return []
        words = [word for word in self.segmenter.query_words(text) if word not in self.synonyms.stopwords]
        return [self._word_group(word) for word in words]

    def _word_group(self, word: str) -> Group:
        if not is_cjk(word):
            if is_latin(word):
                return self._latin_group(word)
            return Group(source=word, expr=Term(word), phrases=(word,), words=(word,))
        if len(word) == 1:
            return Group(source=word, expr=Term(word), phrases=(word,), chars=(word,), content=False)
        return Group(source=word, expr=self._word_expr(word), phrases=(word,), words=(word,))

    def _word_expr(self, word: str) -> Expr:
        """A word, or — for a domain word the index may predate — its shorter words or its characters."""
        alternatives: list[Expr] = [Term(word)]
        if self.segmenter.is_domain_word(word):
            subs = self.segmenter.sub_words(word)
            covered = set("".join(subs))
            if subs and covered >= set(word):
                alternatives.append(All(tuple(Term(sub) for sub in subs)))
            else:
                alternatives.append(All(tuple(Term(char) for char in dict.fromkeys(word))))
        return any_of(alternatives) or Term(word)

    def _phrase_expr(self, phrase: str) -> Expr | None:
        words = [word for word in self.segmenter.query_words(phrase) if word not in self.synonyms.stopwords]
        return all_of(
            [self._word_expr(word) if is_cjk(word) and len(word) > 1 else Term(word) for word in words]
        )

    def _synonym_group(self, key: str) -> Group:
        expansions = self.synonyms.expansions[key]
        alternatives = [expr for expr in (self._phrase_expr(phrase) for phrase in (key, *expansions)) if expr]
        words: list[str] = [key, *expansions]
        for phrase in expansions:
            words.extend(word for word in self.segmenter.query_words(phrase) if len(word) >= 2)
        return Group(
            source=key,
            expr=any_of(alternatives) or Term(key),
            phrases=(key, *expansions),
            words=tuple(dict.fromkeys(words)),
        )

    def _latin_cluster(self, cluster: list[str]) -> list[Group]:
        if len(cluster) > 1:
            joined = "".join(cluster)
            if joined in self.vocabulary.pinyin_words or self._split_pinyin(joined):
                return [self._latin_group(joined)]
        return [self._latin_group(run) for run in cluster]

    def _latin_group(self, token: str) -> Group:
        alternatives: list[Expr] = [Term(token)]
        words = self.vocabulary.words_for_pinyin(token, PINYIN_WORDS_PER_TOKEN)
        if len(token) >= MIN_PREFIX_LENGTH and not words:
            # Only for what is not yet a known word's pinyin (still being typed: "gongj"). A complete one
            # is already an index token wherever its characters occur (the index holds the pinyin of
            # every 2-5 character run), and its words are searched too; the prefix would add nothing but
            # cost: FTS5 merges the doclists of every token with that prefix (a third of the CPU time
            # of "gongjijin" at 300,000 items).
            alternatives.append(Term(token, prefix=True))
        alternatives.extend(self._word_expr(word) for word in words)
        latin = [token]
        highlight = list(words)
        if token not in self.vocabulary.pinyin_words:
            pieces = self._split_pinyin(token)
            if pieces:
                parts: list[Expr] = []
                for piece in pieces:
                    piece_words = self.vocabulary.words_for_pinyin(piece, PINYIN_WORDS_PER_TOKEN)
                    piece_expr = any_of([Term(piece), *(self._word_expr(word) for word in piece_words)])
                    if piece_expr is not None:
                        parts.append(piece_expr)
                    highlight.extend(piece_words)
                    latin.append(piece)
                split_expr = all_of(parts)
                if split_expr is not None:
                    alternatives.append(split_expr)
        return Group(
            source=token,
            expr=any_of(alternatives) or Term(token),
            phrases=tuple(words[:3]),
            words=tuple(dict.fromkeys(highlight)),
            latin=tuple(latin),
        )

    def _split_pinyin(self, token: str) -> list[str] | None:
        """Split run-together pinyin into the fewest known words (each ≥ 2 letters), or None."""
        if len(token) < 4:
            return None
        keys = self.vocabulary.pinyin_words
        size = len(token)
        best: list[list[str] | None] = [None] * (size + 1)
        best[0] = []
        for end in range(2, size + 1):
            for start in range(0, end - 1):
                previous = best[start]
                if previous is None or token[start:end] not in keys:
                    continue
                candidate = [*previous, token[start:end]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
        result = best[size]
        return result if result is not None and len(result) >= 2 else None


def parse(text: str) -> ParsedQuery:
    return QueryParser().parse(text)
