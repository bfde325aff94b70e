"""Federation throughput between two REAL nodes (a regional node and the hub), each its own SQLite database
and server process on loopback, registered by exchanging cards — the harness of tests/federation/nodes.py.

Measures:
1. messages per second through the outbox: N small messages enqueued at the node, then delivered by
   `outbox.deliver_due` (one signed HTTP POST per message; the hub verifies SM2, records the id with the
   effect, answers) — timed inside the sending process, so process start-up is not counted;
2. catalogue sync for N generated items (`yiwang generate`, bulk, at the node): `sync_all` (enqueue, 200
   items a message, one query per batch) and delivery to the hub until every item is stored there (bulk
   upsert) and in the hub's portal search index; items per second, measured (not extrapolated).

    .venv/bin/python bench/federation_bench.py --messages 300 --items 2000
    .venv/bin/python bench/federation_bench.py --messages 0 --items 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from federation.nodes import Node, migrate_template, register_all

DELIVER = """
import time
from django.db import transaction
from yiwang.federation import outbox
from yiwang.federation.models import OutboxMessage, OutboxStatus
cpu = time.process_time()
hub = outbox.hub()
if KIND == "bench":
    with transaction.atomic():
        for n in range(COUNT):
            outbox.enqueue(hub, "catalog.withdraw", {"codes": [f"BENCH{n}"]})
started = time.perf_counter()
if KIND == "catalogue":
    from yiwang.federation import catalogue
    items = catalogue.sync_all()
    enqueued = time.perf_counter() - started
else:
    items, enqueued = COUNT, 0.0
messages = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()
while OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
    outbox.deliver_due(limit=1000)
result = {
    "items": items,
    "messages": messages,
    "enqueue": enqueued,
    "total": time.perf_counter() - started,
    "cpu": time.process_time() - cpu,
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=300, help="small messages to deliver (default 300)")
    parser.add_argument("--items", type=int, default=2000, help="catalogue items to sync (default 2000)")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' data folders")
    parser.add_argument(
        "--template", type=Path, default=None, help="a folder to keep the migrated template database in"
    )
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="federation-bench-"))
    print(f"data: {root}", flush=True)
    started = time.perf_counter()
    template = migrate_template(options.template or root / "template")
    hub = Node("100000", "国家政务服务平台", "hub", root)
    node = Node("330000", "浙江省政务服务平台", "node", root)
    for each in (hub, node):
        each.prepare(template)
    print(f"migrated in {time.perf_counter() - started:.0f} s", flush=True)
    try:
        hub.start()
        node.start()
        register_all([hub, node])
        messages = (
            node.shell(DELIVER, KIND="bench", COUNT=options.messages)
            if options.messages
            else {"messages": 0, "total": 0.0}
        )
        generating = time.perf_counter()
        node.run(
            "generate", "--items", str(options.items), "--region", "330000", "--no-progress", timeout=7200
        )
        generated = time.perf_counter() - generating
        print(f"generated {options.items} items at the node in {generated:.0f} s", flush=True)
        hub_cpu = hub.cpu_seconds()
        sync = node.shell(DELIVER, KIND="catalogue", COUNT=0, timeout=7200)
        hub_cpu = hub.cpu_seconds() - hub_cpu
        stored, indexed = hub.shell(
            "from yiwang.federation.models import RemoteImplementation\n"
            "from yiwang.search.models import SearchDocument\n"
            "result = [RemoteImplementation.objects.count(), SearchDocument.objects.exclude(node='').count()]"
        )
    finally:
        hub.stop()
        node.stop()
    rate = messages["messages"] / messages["total"] if messages["total"] else 0.0
    items_rate = sync["items"] / sync["total"]
    rows = [
        (
            "outbox messages delivered",
            f"{messages['messages']}",
            f"{messages['total']:.1f} s",
            f"{rate:.1f} msg/s",
        ),
        (
            "catalogue sync: enqueue",
            f"{sync['items']} items",
            f"{sync['enqueue']:.1f} s",
            f"{sync['items'] / max(sync['enqueue'], 1e-9):.0f} items/s",
        ),
        (
            "catalogue sync: enqueue + deliver",
            f"{sync['messages']} msgs",
            f"{sync['total']:.1f} s",
            f"{items_rate:.0f} items/s",
        ),
        ("  CPU: sending node (enqueue, sign, post)", "", f"{sync['cpu']:.1f} s", ""),
        ("  CPU: hub server (verify, upsert, index)", "", f"{hub_cpu:.1f} s", ""),
        ("items stored at the hub", f"{stored}", "", ""),
        ("items in the hub's search index", f"{indexed}", "", ""),
    ]
    width = [max(len(str(r[i])) for r in rows) for i in range(4)]
    print()
    print(f"{'measure':<{width[0]}}  {'count':>{width[1]}}  {'time':>{width[2]}}  rate")
    for row in rows:
        print(f"{row[0]:<{width[0]}}  {row[1]:>{width[1]}}  {row[2]:>{width[2]}}  {row[3]}")
    if stored != options.items or indexed != options.items:
        raise SystemExit(f"the hub stored {stored} and indexed {indexed} items, expected {options.items}")
    if not options.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
