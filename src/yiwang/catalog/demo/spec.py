"""Small typed records the demo catalogue is written in, so that the data modules read like tables."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Org:
    """An implementing organisation or service hall. `places` maps a venue key to a place precise to window."""

    key: str
    name: str
    short_name: str
    region: str
    level: str  # 行使层级 it exercises powers at: 1 国家级 … 5 镇（乡、街道）级
    kind: str = "department"
    category: str = "11"  # USCC 登记管理部门 + 机构类别: 11 机关, 12 事业单位, 13 群团
    parent: str | None = None
    address: str = ""
    places: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mat:
    """申请材料. Counts and form default to one original, paper or electronic, required."""

    name: str
    issuing_body: str = ""
    original: int = 1
    copies: int = 0
    form: str = "both"
    necessity: str = "required"
    source: str = "applicant"
    obtainable_by: str = ""
    obtainable_source: str = ""
    notes: str = ""
    usage: str = ""
    issue_time: str = ""
    situation: str | None = None

    def when(self, situation: str) -> Mat:
        """The same material, needed only in one 办理情形."""
        return replace(self, situation=situation)

    def optional(self, notes: str = "") -> Mat:
        return replace(self, necessity="optional", notes=notes or self.notes)

    def deferrable(self, notes: str = "") -> Mat:
        return replace(self, necessity="deferrable", notes=notes or self.notes)


@dataclass(frozen=True)
class FeeSpec:
    name: str
    standard: str
    amount: str | None
    basis: str
    reducible: bool = False
    reduction_basis: str = ""


@dataclass(frozen=True)
class Special:
    """特别程序 (GB/T 39046 表A.7 kind 2 unless it is 延长审批)."""

    name: str
    time_limit: int
    basis: str = ""
    unit: str = "wd"
    kind: str = "2"
    charges_fee: bool = False
    counts: bool = False


@dataclass(frozen=True)
class Parent:
    """A 主项 of the basic catalogue that is implemented only through its 子项."""

    code: str
    name: str
    item_type: str
    basis: str
    dept: str
    national: bool = True


@dataclass(frozen=True)
class Item:
    """One basic-catalogue item and everything its guides share; `by` lists the implementing organisations."""

    code: str
    name: str
    item_type: str
    basis: str
    dept: str
    by: tuple[str, ...]
    legal: int
    promised: int
    conditions: str
    materials: tuple[Mat, ...]
    faqs: tuple[tuple[str, str], ...]
    result: str = ""
    result_type: str = ""
    objects: tuple[str, ...] = ("1",)
    themes: tuple[str, ...] = ()
    aliases: str = ""
    depth: int = 3
    visits: int = 1
    onsite: str = ""
    fees: tuple[FeeSpec, ...] = ()
    special: tuple[Special, ...] = ()
    variants: tuple[tuple[str, str], ...] = ()
    situations: tuple[tuple[str, str, str | None], ...] = ()
    parent: str | None = None
    hot: int = 10  # relative demand, 1–100: drives popularity
    content: str = ""
    legal_unit: str = "wd"
    legal_note: str = ""
    promised_note: str = ""
    delivery: tuple[str, ...] = ("window", "post")
    joint: tuple[str, ...] = ()
    quantity_limit: str = "无数量限制"
    intermediary: str = "无"
    scope: str = ""
    review: str = ""
    undertaking: str = ""
    venue: str = ""
    system_level: str = "provincial"
    national: bool = True
    division: str = ""
    power_source: str = "1"
