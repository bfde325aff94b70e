"""The knowledge base (FAQ) and "intelligent Q&A": retrieval over real answers, never invented text.

Indexing reuses the portal's search machinery: the same folding (search.text.normalise: width, case,
Traditional → Simplified) and the same jieba segmenter with the domain dictionary (search.segment); each
entry's tokens (search mode ∪ full mode, plus single characters) are rows of FaqTerm, indexed by term.

Asking reuses query understanding (search.query.QueryParser: synonyms, stopwords, pinyin, domain terms).
Each query group gets a weight, its inverse document frequency among active entries; an entry scores the
weighted share of groups it matches (a match in the answer only counts half). The best score is the
confidence: below YIWANG_QA_CONFIDENCE (default 0.6) the page offers to hand the question to a person,
which files a consultation. Service items come from search.selectors.search with the same question.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F

from yiwang.catalog.models import Faq, Implementation, PublicStatus
from yiwang.search.query import Expr, QueryParser, Term, matches
from yiwang.search.segment import get_segmenter
from yiwang.search.text import cjk_chars, normalise

from .models import FaqEntry, FaqSource, FaqTerm, Message

ANSWER_ONLY_WEIGHT = 0.5
DEFAULT_CONFIDENCE = 0.6
MAX_CANDIDATES = 500


def confidence_threshold() -> float:
    return float(getattr(settings, "YIWANG_QA_CONFIDENCE", DEFAULT_CONFIDENCE))


def tokens_for(text: str) -> set[str]:
    """What the index holds for a text: every segmenter token and every single CJK character."""
    folded = normalise(text)
    tokens = set(get_segmenter().index_tokens(folded))
    tokens.update(cjk_chars(folded))
    return {token for token in tokens if 0 < len(token) <= 64}


def index_entry(entry: FaqEntry) -> None:
    """(Re)write the entry's FaqTerm rows."""
    question = tokens_for(entry.question)
    answer = tokens_for(entry.answer) - question
    with transaction.atomic():
        FaqTerm.objects.filter(entry=entry).delete()
        FaqTerm.objects.bulk_create(
            [FaqTerm(entry=entry, term=term, in_question=True) for term in sorted(question)]
            + [FaqTerm(entry=entry, term=term, in_question=False) for term in sorted(answer)]
        )


def add_from_message(message: Message) -> FaqEntry:
    """A published consultation joins the knowledge base (its title and content ask, its reply answers)."""
    question = message.title if len(message.title) >= 8 else f"{message.title}：{message.content}"
    entry, _created = FaqEntry.objects.update_or_create(
        message=message,
        defaults={
            "question": question[:300],
            "answer": message.reply,
            "source": FaqSource.CONSULTATION,
            "implementation": message.implementation,
            "organisation": message.organisation,
            "is_active": True,
        },
    )
    index_entry(entry)
    return entry


def sync_guide_faqs(implementation_ids: Iterable[int] | None = None) -> tuple[int, int]:
    """Bring the FAQ rows of published guides (all, or of the given implementations) into the knowledge
    base; retire rows no longer published. Returns (added or updated, retired)."""
    ids = list(implementation_ids) if implementation_ids is not None else None
    published = Faq.objects.filter(
        guide__implementation__public_status=PublicStatus.PUBLISHED,
        guide__implementation__published_version_id=F("guide_id"),
    ).select_related("guide__implementation__organisation")
    if ids is not None:
        published = published.filter(guide__implementation_id__in=ids)
    seen: set[int] = set()
    changed = 0
    for faq in published.iterator(chunk_size=500):
        seen.add(faq.pk)
        implementation = faq.guide.implementation
        entry = FaqEntry.objects.filter(catalog_faq=faq).first()
        if entry and entry.question == faq.question and entry.answer == faq.answer and entry.is_active:
            continue
        entry, _created = FaqEntry.objects.update_or_create(
            catalog_faq=faq,
            defaults={
                "question": faq.question[:300],
                "answer": faq.answer,
                "source": FaqSource.GUIDE,
                "implementation": implementation,
                "organisation": implementation.organisation,
                "is_active": True,
            },
        )
        index_entry(entry)
        changed += 1
    stale = FaqEntry.objects.filter(source=FaqSource.GUIDE, is_active=True).exclude(catalog_faq_id__in=seen)
    if ids is not None:
        stale = stale.filter(implementation_id__in=ids)
    retired = stale.update(is_active=False)
    return changed, retired


# --- asking -------------------------------------------------------------------------------------------


def _terms(expr: Expr) -> Iterable[Term]:
    if isinstance(expr, Term):
        yield expr
    else:
        for part in expr.parts:
            yield from _terms(part)


@dataclass
class FaqMatch:
    entry: FaqEntry
    score: float


@dataclass
class Answer:
    question: str
    faqs: list[FaqMatch] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    confidence: float = 0.0

    @property
    def confident(self) -> bool:
        return self.confidence >= confidence_threshold()


def search_faq(question: str, limit: int = 5) -> list[FaqMatch]:
    parsed = QueryParser().parse(question)
    groups = [group for group in parsed.groups if group.content or len(parsed.groups) == 1]
    if not groups:
        return []
    segmenter = get_segmenter()
    wanted: set[str] = set()
    for group in groups:
        for found in _terms(group.expr):
            wanted.add(found.text)
            if len(found.text) > 2:
                wanted.update(segmenter.sub_words(found.text))
    if not wanted:
        return []
    active = FaqEntry.objects.filter(is_active=True)
    total = active.count() or 1
    frequency = dict(
        FaqTerm.objects.filter(term__in=wanted, entry__is_active=True)
        .values("term")
        .annotate(n=Count("entry_id"))
        .values_list("term", "n")
    )
    candidate_ids = list(
        FaqTerm.objects.filter(term__in=wanted, entry__is_active=True)
        .values_list("entry_id", flat=True)
        .distinct()[:MAX_CANDIDATES]
    )
    if not candidate_ids:
        return []
    question_tokens: dict[int, set[str]] = defaultdict(set)
    all_tokens: dict[int, set[str]] = defaultdict(set)
    for entry_id, term, in_question in FaqTerm.objects.filter(entry_id__in=candidate_ids).values_list(
        "entry_id", "term", "in_question"
    ):
        all_tokens[entry_id].add(term)
        if in_question:
            question_tokens[entry_id].add(term)

    def weight(group_expr: Expr) -> float:
        df = max((frequency.get(term.text, 0) for term in _terms(group_expr)), default=0)
        return math.log(1 + total / (1 + df)) + 0.1

    weights = [weight(group.expr) for group in groups]
    whole = sum(weights)
    scores: dict[int, float] = {}
    for entry_id in candidate_ids:
        got = 0.0
        for group, group_weight in zip(groups, weights, strict=True):
            if matches(group.expr, question_tokens[entry_id]):
                got += group_weight
            elif matches(group.expr, all_tokens[entry_id]):
                got += group_weight * ANSWER_ONLY_WEIGHT
        if got:
            scores[entry_id] = got / whole
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
    entries = FaqEntry.objects.in_bulk([entry_id for entry_id, _score in ranked])
    return [FaqMatch(entry=entries[entry_id], score=round(score, 4)) for entry_id, score in ranked]


def matching_items(question: str, limit: int = 3) -> list[Any]:
    """Service items for the question, from the portal's search (published items only).

    A whole question rarely matches an item name, so when the question as typed finds nothing, each of its
    content words (two characters or more) is searched on its own and items are ranked by how many of
    the words found them (then by their best position)."""
    from yiwang.search.selectors import SearchParamError, SearchRequest, search

    def run(text: str, size: int) -> list[Any]:
        try:
            return list(search(SearchRequest(q=text[:100], page_size=size)).results)
        except SearchParamError:
            return []

    found = run(question, limit)
    if found:
        return found
    words = [
        group.source
        for group in QueryParser().parse(question).groups
        if group.content and len(group.source) >= 2
    ]
    tally: dict[int, list[Any]] = {}
    for word in dict.fromkeys(words[:8]):
        for position, result in enumerate(run(word, 5)):
            hits, best, _item = tally.get(result.implementation_id, [0, position, result])
            tally[result.implementation_id] = [hits + 1, min(best, position), result]
    ranked = sorted(tally.values(), key=lambda row: (-row[0], row[1], row[2].implementation_id))
    return [row[2] for row in ranked[:limit]]


def answer(question: str) -> Answer:
    question = (question or "").strip()
    result = Answer(question=question)
    if not question:
        return result
    result.faqs = search_faq(question)
    result.items = matching_items(question)
    result.confidence = result.faqs[0].score if result.faqs else 0.0
    return result


def on_catalog_change(event: str, payload: dict[str, Any]) -> None:
    """catalog.published / catalog.withdrawn: keep the guide FAQs of that item in step."""
    sync_guide_faqs([payload["implementation_id"]])


def implementation_for(question: str) -> Implementation | None:
    """The published item a question is most likely about (for routing a hand-over), or None."""
    items = matching_items(question, limit=1)
    if not items:
        return None
    return Implementation.objects.select_related("organisation").filter(pk=items[0].implementation_id).first()
