"""Demo assessment data for `yiwang demo load`:

- a published round of the demo province's cities (地级市) computed from this platform's own data — the
  real engine on the demo catalogue, so every leaf links to its evidence;
- an imported round of provincial scores from `data/sample-provincial-scores.csv`, ILLUSTRATIVE SAMPLE
  DATA (flagged `is_sample`, shown with a banner on every page): not official results of any assessment.

Idempotent (rounds that exist are left alone); a few seconds.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from yiwang.assessment import services
from yiwang.assessment.importers import read_file
from yiwang.assessment.models import Round, RoundStatus
from yiwang.assessment.tree import DATA_DIR

SAMPLE_FILE = DATA_DIR / "sample-provincial-scores.csv"
SAMPLE_ROUND = "示例：省级政府能力评估（示例数据，非官方结果）"


def _cities_round_name(province_name: str) -> str:
    return f"{province_name}各市网上政务服务能力评估（{timezone.localdate():%Y}，平台数据）"


def load_demo(*, stdout: Any) -> None:
    from yiwang.core.selectors import region_by_code, region_children

    province = region_by_code(settings.YIWANG_REGION_CODE)
    if province is not None:
        name = _cities_round_name(province.name)
        round_ = Round.objects.filter(name=name).first()
        if round_ is None:
            round_ = services.create_round(
                name, actor=None, subject_kind="city", note="演示：以本平台演示数据计算。"
            )
            services.add_regions(round_, [r.code for r in region_children(province)], actor=None)
        if not round_.runs.exists():
            services.run_round(round_, actor=None)
        if round_.status == RoundStatus.DRAFT:
            services.publish_round(round_, actor=None)
        stdout.write(f"能力评估：{name}（{round_.subjects.count()} 个城市）\n")
    sample = Round.objects.filter(name=SAMPLE_ROUND).first()
    if sample is None:
        sample, _ = services.import_scores(
            SAMPLE_ROUND, read_file(SAMPLE_FILE), actor=None, filename=SAMPLE_FILE.name, is_sample=True
        )
    if not sample.runs.exists():
        services.run_round(sample, actor=None)
    if sample.status == RoundStatus.DRAFT:
        services.publish_round(sample, actor=None)
    stdout.write(f"能力评估：{SAMPLE_ROUND}（示例数据）\n")
