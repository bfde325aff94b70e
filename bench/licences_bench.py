"""Licence benchmark: SM2 sign/verify per second, and the licence verification API's throughput.

    .venv/bin/python bench/licences_bench.py                  # 3 s per measurement
    .venv/bin/python bench/licences_bench.py --seconds 5 --licences 200

1. SM2 with gmssl (pure Python; what yiwang.core.sm2 uses): sign and verify of a typical licence's signed
   content, per second, in this one process.
2. SM2 in OpenSSL (C): pyca/cryptography 4x exposes no SM2 curve, so the OpenSSL command line stands in:
   `openssl speed sm2` gives the library's own rate (no process start-up in the figure). The script also
   checks interoperability: a signature made by `openssl pkeyutl -digest sm3 -pkeyopt
   distid:1234567812345678` verifies with yiwang.core.sm2, so an OpenSSL-backed provider could replace
   gmssl (OpenSSL 3.0's default distinguishing ID is empty: without the option they do not match).
3. Verification API: GET /api/licences/verify?identifier=… through Django's test client in this process
   (no HTTP server: routing, the selector, the signature check and JSON). Cold: every request verifies
   SM2 afresh (cache cleared); warm: the verified-signature cache answers repeats (content.verify_signature).
   On a
   SQLite bench database under bench/results/licences-sqlite/ holding --licences licences.

Bounded: every loop stops after --seconds (≤ 30) or --max-ops operations. Loopback only: nothing is sent
over the network.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "licences-sqlite"


def rate(func: Callable[[], object], seconds: float, max_ops: int) -> tuple[float, int]:
    func()  # warm-up
    count, start = 0, time.perf_counter()
    while count < max_ops and time.perf_counter() - start < seconds:
        func()
        count += 1
    return count / (time.perf_counter() - start), count


def gmssl_rates(seconds: float, max_ops: int) -> tuple[float, float]:
    from yiwang.core import sm2

    pair = sm2.generate_keypair()
    message = (
        "{" + '"id":"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",' * 6 + "}"
    ).encode()
    signature = sm2.sign(pair.private_hex, message, public_hex=pair.public_hex)
    sign_rate, _ = rate(
        lambda: sm2.sign(pair.private_hex, message, public_hex=pair.public_hex), seconds, max_ops
    )
    verify_rate, _ = rate(lambda: sm2.verify(pair.public_hex, message, signature), seconds, max_ops)
    return sign_rate, verify_rate


def openssl_rates(seconds: float) -> tuple[float, float] | None:
    if shutil.which("openssl") is None:
        return None
    run = subprocess.run(
        ["openssl", "speed", "-seconds", str(max(1, int(seconds))), "sm2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    match = re.search(r"SM2 \(CurveSM2\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", run.stdout)
    return (float(match.group(1)), float(match.group(2))) if match else None


def _der_to_rs(der: bytes) -> str:
    """r‖s (128 hex digits) from an ASN.1 DER ECDSA-style signature SEQUENCE { INTEGER r, INTEGER s }."""
    assert der[0] == 0x30
    index = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    parts = []
    for _ in range(2):
        assert der[index] == 0x02
        length = der[index + 1]
        parts.append(int.from_bytes(der[index + 2 : index + 2 + length], "big"))
        index += 2 + length
    return f"{parts[0]:064x}{parts[1]:064x}"


def openssl_interop() -> str:
    """Sign with the OpenSSL CLI, verify with yiwang.core.sm2 (gmssl)."""
    if shutil.which("openssl") is None:
        return "openssl not installed"
    from yiwang.core import sm2

    with tempfile.TemporaryDirectory() as tmp:
        key, msg, sig = Path(tmp, "k.pem"), Path(tmp, "m"), Path(tmp, "s.der")
        msg.write_bytes("电子证照签名原文".encode())
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", str(key)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            # OpenSSL 3.0's default SM2 distinguishing ID is empty; GB/T 32918 / GM/T 0009 use 1234567812345678
            [
                "openssl",
                "pkeyutl",
                "-sign",
                "-in",
                str(msg),
                "-inkey",
                str(key),
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
                "-out",
                str(sig),
            ],
            check=True,
            capture_output=True,
        )
        text = subprocess.run(
            ["openssl", "pkey", "-in", str(key), "-noout", "-text"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        pub = re.search(r"pub:\s*((?:[0-9a-f]{2}:?\s*)+)", text)
        assert pub is not None
        public_hex = re.sub(r"[^0-9a-f]", "", pub.group(1))[2:]  # drop the 04 prefix
        ok = sm2.verify(public_hex, msg.read_bytes(), _der_to_rs(sig.read_bytes()))
        return "yes: OpenSSL signature verifies with yiwang.core.sm2" if ok else "NO: signatures differ"


def api_rate(seconds: float, max_ops: int, licences: int) -> tuple[float, float, int, float]:
    """Requests per second of the verification API, in-process, over `licences` licences."""
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from yiwang.core.models import Organisation, Region, RegionLevel
    from yiwang.licences import holders, services
    from yiwang.licences.models import Licence

    region, _ = Region.objects.get_or_create(
        code="330000", defaults={"name": "浙江省", "level": RegionLevel.PROVINCE}
    )
    organisation, _ = Organisation.objects.get_or_create(
        uscc="11330000002482173L", defaults={"name": "基准测试发证机关", "region": region}
    )
    licence_type = services.define_type(
        actor=services.SYSTEM,
        defining_organisation=organisation,
        sequence=1,
        name="基准测试许可证",
        holder_kind="enterprise",
        fields=[{"name": "scope", "label": "许可范围", "public": True}],
        issuers=[organisation],
    )
    existing = Licence.objects.filter(licence_type=licence_type).count()
    start = time.perf_counter()
    for n in range(existing, licences):
        from stdnum.cn import uscc

        first17 = f"91330106{n:08d}X"
        first17 = first17[:17]
        code = first17 + uscc.calc_check_digit(first17)
        services.issue(
            licence_type,
            issuer=organisation,
            holder=holders.make_holder("enterprise", code, f"基准企业{n}"),
            data={"scope": "基准测试"},
            actor=services.SYSTEM,
        )
    issue_seconds = time.perf_counter() - start
    identifiers = list(Licence.objects.filter(licence_type=licence_type).values_list("identifier", flat=True))
    client = Client()
    index = [0]

    def one() -> None:
        identifier = identifiers[index[0] % len(identifiers)]
        index[0] += 1
        response = client.get("/api/licences/verify", {"identifier": identifier})
        assert response.status_code == 200 and response.json()["valid"], response.content

    from django.core.cache import cache

    def cold() -> None:
        cache.clear()
        one()

    cold_rate, _ = rate(cold, seconds, max_ops)
    for identifier in identifiers:  # warm every licence once
        client.get("/api/licences/verify", {"identifier": identifier})
    per_second, count = rate(one, seconds, max_ops)
    issued = licences - existing
    return cold_rate, per_second, count, (issued / issue_seconds if issued else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement (≤ 30)")
    parser.add_argument("--max-ops", type=int, default=100_000, help="operations per measurement at most")
    parser.add_argument("--licences", type=int, default=50, help="licences in the bench database")
    parser.add_argument("--fresh", action="store_true", help="start from an empty bench database")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 0.5), 30.0)

    if args.fresh and RESULTS.exists():
        shutil.rmtree(RESULTS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("YIWANG_DATA_DIR", str(RESULTS))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ["YIWANG_PUBLIC_API_RATE"] = "100000000"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.YIWANG_PUBLIC_API_RATE = 100_000_000

    rows: list[tuple[str, str, str]] = []
    sign, verify = gmssl_rates(seconds, args.max_ops)
    rows.append(("SM2 sign (gmssl, pure Python)", f"{sign:,.0f}/s", "1 process"))
    rows.append(("SM2 verify (gmssl, pure Python)", f"{verify:,.0f}/s", "1 process"))
    speed = openssl_rates(seconds)
    if speed:
        rows.append(
            (
                "SM2 sign (OpenSSL C, `openssl speed sm2`)",
                f"{speed[0]:,.0f}/s",
                f"{speed[0] / sign:,.0f}× gmssl",
            )
        )
        rows.append(
            (
                "SM2 verify (OpenSSL C, `openssl speed sm2`)",
                f"{speed[1]:,.0f}/s",
                f"{speed[1] / verify:,.0f}× gmssl",
            )
        )
    rows.append(("OpenSSL ↔ gmssl interoperable", openssl_interop(), ""))
    cold_rate, per_second, count, issue_rate = api_rate(seconds, args.max_ops, args.licences)
    if issue_rate:
        rows.append(
            ("issue licence (sign + store + audit)", f"{issue_rate:,.1f}/s", f"{args.licences} licences")
        )
    rows.append(
        ("GET /api/licences/verify, cold (in-process)", f"{cold_rate:,.1f}/s", "SM2 verify each time")
    )
    rows.append(("GET /api/licences/verify, warm (in-process)", f"{per_second:,.1f}/s", f"{count} requests"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'rate':>14}  note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>14}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
