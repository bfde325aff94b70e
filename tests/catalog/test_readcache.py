"""The catalogue API's per-process read cache: served without a query, and never staler than the change
marker's check interval, for this process and for every other one."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import F
from django.test import Client

from api.helpers import publish
from catalog.factories import make_guide, make_implementation, make_person_theme, make_theme
from yiwang.catalog import readcache, services
from yiwang.catalog.api import ImplementationPage
from yiwang.catalog.generator import generate
from yiwang.catalog.models import CatalogueGeneration, GuideVersion
from yiwang.catalog.readcache import ENTRY_OVERHEAD, ReadCache

pytestmark = pytest.mark.django_db

DETAIL = "/api/catalog/implementations/{}"
LIST = "/api/catalog/implementations"


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings: Any) -> None:
    """Snapshots and counts are also kept in Django's cache by database id; test databases reuse ids."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"readcache-test-{uuid.uuid4().hex}",
        }
    }
    settings.YIWANG_PUBLIC_API_RATE = 10_000


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def process_cache(clock: Clock) -> Iterator[ReadCache]:
    """This process's cache, on the test's clock (interval 1 s, as in production)."""
    cache = ReadCache(max_bytes=32 * 1024 * 1024, check_seconds=1.0, clock=clock)
    readcache._instance = cache
    yield cache
    readcache.reset()


class OtherProcess:
    """Makes changes as another worker process would: its own cache drops, not this process's."""

    def __init__(self) -> None:
        self.cache = ReadCache(max_bytes=1024 * 1024, check_seconds=1.0, clock=Clock())

    def __enter__(self) -> ReadCache:
        self._saved = readcache._instance
        readcache._instance = self.cache
        return self.cache

    def __exit__(self, *exc: object) -> None:
        readcache._instance = self._saved


@pytest.fixture
def published(db: None) -> GuideVersion:
    return publish(make_guide())


def _code(guide: GuideVersion) -> str:
    return guide.implementation.implementation_code


# --- through the API ------------------------------------------------------------------------------


def test_a_cached_detail_is_served_without_a_query(
    client: Client, published: GuideVersion, process_cache: ReadCache, django_assert_num_queries: Any
) -> None:
    url = DETAIL.format(_code(published))
    with django_assert_num_queries(2):  # the change marker (once per interval) and the document
        first = client.get(url)
    with django_assert_num_queries(0):
        second = client.get(url)
    with django_assert_num_queries(0):
        third = client.get(url.lower())  # the same implementation, the same entry
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.content == second.content == third.content
    assert first["Content-Type"] == second["Content-Type"] == "application/json; charset=utf-8"
    assert process_cache.stats.hits == 2 and process_cache.stats.marker_reads == 1


def test_the_marker_is_read_at_most_once_per_interval(
    client: Client,
    published: GuideVersion,
    process_cache: ReadCache,
    clock: Clock,
    django_assert_num_queries: Any,
) -> None:
    url = DETAIL.format(_code(published))
    client.get(url)
    clock.now += 0.9
    with django_assert_num_queries(0):
        client.get(url)
    clock.now += 0.2
    with django_assert_num_queries(1):  # the marker only: it has not moved, the entry stays
        assert client.get(url).status_code == 200
    assert process_cache.stats.marker_reads == 2


def test_a_withdrawal_elsewhere_answers_410_here_within_the_interval(
    client: Client, published: GuideVersion, process_cache: ReadCache, clock: Clock
) -> None:
    url = DETAIL.format(_code(published))
    assert client.get(url).status_code == 200
    with OtherProcess():
        services.withdraw(published.implementation, reason="依据省政府文件取消")
    # Until this process reads the marker again (≤ the interval) it still serves what it read.
    clock.now += 0.5
    assert client.get(url).status_code == 200
    clock.now += 0.5
    gone = client.get(url)
    assert gone.status_code == 410
    assert "依据省政府文件取消" in gone.json()["detail"]
    assert client.get(url).status_code == 410  # 410 answers are not kept, but still right


def test_a_withdrawal_in_this_process_answers_410_at_once(
    client: Client, published: GuideVersion, process_cache: ReadCache
) -> None:
    url = DETAIL.format(_code(published))
    assert client.get(url).status_code == 200
    services.withdraw(published.implementation, reason="职能调整")
    assert client.get(url).status_code == 410


def test_a_republication_serves_the_new_version(
    client: Client, published: GuideVersion, process_cache: ReadCache, clock: Clock
) -> None:
    implementation = published.implementation
    url = DETAIL.format(implementation.implementation_code)
    assert client.get(url).json()["version"] == 1
    draft = services.new_version(implementation, change_note="更新办理地点")
    services.update_draft(draft, fields={"place": "杭州市民中心3楼C区8号窗口"})
    publish(draft)  # here: at once
    document = client.get(url).json()
    assert document["version"] == 2 and document["place"] == "杭州市民中心3楼C区8号窗口"
    third = services.new_version(implementation, change_note="再次更新")
    services.update_draft(third, fields={"place": "杭州市民中心1楼A区"})
    with OtherProcess():
        publish(third)  # elsewhere: within the interval
    clock.now += 1.0
    document = client.get(url).json()
    assert document["version"] == 3 and document["place"] == "杭州市民中心1楼A区"


def test_list_pages_change_after_a_publication(
    client: Client, process_cache: ReadCache, clock: Clock, django_assert_num_queries: Any
) -> None:
    make_theme(), make_person_theme()
    generate(30, region_code="330000", batch=30, progress=False)
    first = client.get(LIST, {"page_size": 100})
    ImplementationPage.model_validate(first.json())
    assert first.json()["count"] == 30
    with django_assert_num_queries(0):
        assert client.get(LIST, {"page_size": 100}).content == first.content
    extra = publish(make_guide())  # here
    body = client.get(LIST, {"page_size": 100}).json()
    assert body["count"] == 31
    assert _code(extra) in {row["implementation_code"] for row in body["results"]}
    with OtherProcess():
        another = publish(make_guide())  # elsewhere
        generate(5, region_code="330000", batch=5, progress=False)
    clock.now += 1.0
    body = client.get(LIST, {"page_size": 100}).json()
    assert body["count"] == 37  # the count too, not only the rows
    assert _code(another) in {row["implementation_code"] for row in body["results"]}


def test_list_entries_are_per_filter_and_page(client: Client, process_cache: ReadCache) -> None:
    make_theme(), make_person_theme()
    generate(50, region_code="330000", batch=50, progress=False)
    pages = [client.get(LIST, {"page": n, "page_size": 10}).json() for n in (1, 2, 3)]
    again = [client.get(LIST, {"page": n, "page_size": 10}).json() for n in (1, 2, 3)]
    assert pages == again
    codes = [row["implementation_code"] for page in pages for row in page["results"]]
    assert len(codes) == len(set(codes)) == 30 and codes == sorted(codes)
    persons = client.get(LIST, {"audience": "person", "page_size": "100"}).json()
    enterprises = client.get(LIST, {"audience": "enterprise", "page_size": "100"}).json()
    assert persons["count"] + enterprises["count"] >= 50
    assert persons != enterprises
    assert persons == client.get(LIST, {"audience": "person", "page_size": "100"}).json()


def test_errors_and_lookups_by_id_are_not_kept(
    client: Client, published: GuideVersion, process_cache: ReadCache, django_assert_num_queries: Any
) -> None:
    client.get(LIST)  # reads the marker
    by_id = DETAIL.format(published.implementation.pk)
    assert client.get(by_id).status_code == 200
    with django_assert_num_queries(1):  # a number may become some implementation's code: asked each time
        assert client.get(by_id).status_code == 200
    assert client.get(DETAIL.format("99999999999999999999999999999")).status_code == 404
    assert client.get(LIST, {"region": "990000"}).status_code == 400
    assert client.get(LIST, {"page": 99}).status_code == 404
    assert len(process_cache) == 1  # only the list page asked first


def test_a_draft_taking_a_number_as_its_code_is_seen_at_once(
    client: Client, published: GuideVersion, process_cache: ReadCache
) -> None:
    number = str(published.implementation.pk)
    assert client.get(DETAIL.format(number)).json()["implementation_code"] == _code(published)
    make_implementation(implementation_code=number)  # a draft: no publication, the marker stays
    assert client.get(DETAIL.format(number)).status_code == 404  # the code wins; not published yet


def test_size_zero_turns_the_cache_off(
    client: Client, published: GuideVersion, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.YIWANG_CATALOG_READ_CACHE_MB = 0
    url = DETAIL.format(_code(published))
    client.get(url)
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200
    assert len(readcache.responses()) == 0 and not readcache.responses().enabled


def test_the_settings_size_and_interval_the_process_cache(settings: Any) -> None:
    settings.YIWANG_CATALOG_READ_CACHE_MB = 2
    settings.YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS = 0.25
    cache = readcache.responses()
    assert cache.max_bytes == 2 * 1024 * 1024 and cache.check_seconds == 0.25
    assert readcache.responses() is cache


# --- the cache itself -----------------------------------------------------------------------------


def test_two_processes_see_each_others_changes_through_the_marker(published: GuideVersion) -> None:
    clock_a, clock_b = Clock(), Clock()
    a = ReadCache(max_bytes=1 << 20, check_seconds=1.0, clock=clock_a)
    b = ReadCache(max_bytes=1 << 20, check_seconds=1.0, clock=clock_b)
    for cache in (a, b):
        assert cache.get("k") is None
        assert cache.put("k", b"old", cache.token())
    with OtherProcess():  # a change made by a third process (neither a nor b is this one's cache)
        readcache.catalogue_changed()
    assert a.get("k") == b.get("k") == b"old"  # within the interval
    clock_a.now += 1.0
    assert a.get("k") is None and b.get("k") == b"old"
    clock_b.now += 1.0
    assert b.get("k") is None
    # And a change that a's process makes reaches b.
    a.put("k", b"new", a.token())
    b.put("k", b"new", b.token())
    with OtherProcess():
        readcache._instance = a  # a is the cache of the process making this change
        readcache.catalogue_changed()
    assert a.get("k") is None  # the process that made the change: at once
    clock_b.now += 1.0
    assert b.get("k") is None


def test_the_marker_moves_with_every_change_and_survives_a_missing_row() -> None:
    before = readcache.read_marker()
    readcache.catalogue_changed()
    assert readcache.read_marker() == before + 1
    CatalogueGeneration.objects.all().delete()  # as a flushed test database
    assert readcache.read_marker() == 0
    readcache.catalogue_changed()
    readcache.catalogue_changed()
    assert readcache.read_marker() == 2
    CatalogueGeneration.objects.filter(pk=readcache.MARKER_PK).update(value=F("value") + 5)
    assert readcache.read_marker() == 7


def test_the_cache_respects_its_byte_bound_least_recently_used_first() -> None:
    body = b"x" * 1000
    cache = ReadCache(max_bytes=10 * (1000 + ENTRY_OVERHEAD), check_seconds=60, marker=lambda: 1)
    cache.get("warm")  # the first read of the marker (entries kept before any read would be dropped)
    for n in range(10):
        assert cache.put(n, body, cache.token())
    assert cache.get(0) == body  # used: now the most recent
    for n in range(10, 20):
        cache.put(n, body, cache.token())
        assert cache.size_bytes <= cache.max_bytes
    assert len(cache) == 10 and cache.stats.evictions == 10
    assert cache.get(0) is None and cache.get(1) is None and cache.get(19) == body
    assert not cache.put("huge", b"y" * (2 * (1000 + ENTRY_OVERHEAD)), cache.token())  # > 1/8 of the bound
    assert cache.get("huge") is None


def test_an_answer_read_before_a_drop_is_not_kept_after_it() -> None:
    cache = ReadCache(max_bytes=1 << 20, check_seconds=60, marker=lambda: 1)
    assert cache.get("k") is None
    token = cache.token()  # a request starts reading the database …
    cache.drop()  # … a change lands meanwhile …
    assert not cache.put("k", b"old", token)  # … its answer is not kept
    assert cache.get("k") is None


def test_a_moved_marker_drops_everything_and_list_entries_expire() -> None:
    clock, marker = Clock(), [1]
    cache = ReadCache(max_bytes=1 << 20, check_seconds=1.0, clock=clock, marker=lambda: marker[0])
    cache.get("warm")
    cache.put("detail", b"d", cache.token())
    cache.put("list", b"l", cache.token(), max_age=60)
    clock.now += 59
    assert cache.get("detail") == b"d" and cache.get("list") == b"l"
    clock.now += 1
    assert cache.get("detail") == b"d" and cache.get("list") is None  # a page joins names: at most 60 s
    marker[0] = 2
    clock.now += 1
    assert cache.get("detail") is None and len(cache) == 0 and cache.stats.drops == 1


def test_a_marker_that_cannot_be_read_serves_nothing_old() -> None:
    clock, fail = Clock(), [False]

    def marker() -> int:
        if fail[0]:
            raise ConnectionError("database away")
        return 1

    cache = ReadCache(max_bytes=1 << 20, check_seconds=1.0, clock=clock, marker=marker)
    cache.get("k")
    cache.put("k", b"v", cache.token())
    fail[0] = True
    clock.now += 1
    with pytest.raises(ConnectionError):
        cache.get("k")
    fail[0] = False
    assert cache.get("k") is None


def test_threads_never_see_each_others_answers() -> None:
    cache = ReadCache(max_bytes=64 * 1024, check_seconds=0.0, marker=lambda: 1)
    wrong: list[tuple[int, bytes]] = []

    def work(thread: int) -> None:
        for n in range(2000):
            key = (thread, n % 97)
            found = cache.get(key)
            expected = f"{thread}:{n % 97}".encode() * 20
            if found is None:
                cache.put(key, expected, cache.token())
            elif found != expected:
                wrong.append((thread, found))
            if n % 500 == 0:
                cache.drop()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
    assert cache.size_bytes <= cache.max_bytes
    assert cache.size_bytes == sum(len(v) + ENTRY_OVERHEAD for v, _ in cache._entries.values())


def test_a_change_drops_this_process_cache_again_when_it_commits(
    published: GuideVersion, process_cache: ReadCache, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        readcache.catalogue_changed()
        process_cache.get("warm")  # reads the moved marker
        # Another thread of this process reads the old committed rows before the commit …
        process_cache.put("k", b"old", process_cache.token())
        assert process_cache.get("k") == b"old"
    assert process_cache.get("k") is None  # … and the commit forgets them
