"""The label sets shown per level out of the box (a local 好差评 scheme's 办事效率、指南精确度、便捷度、
平台操作性、服务态度 dimensions, phrased for each level). Administrators edit them in the admin."""

from __future__ import annotations

DEFAULT_LABELS: dict[int, list[str]] = {
    1: ["办事效率高", "办事指南准确", "办事便捷", "服务态度好", "一次办成"],
    2: ["办事效率较高", "指南清楚", "操作方便", "态度热情"],
    3: ["办理时间偏长", "指南不够清楚", "操作不够方便"],
    4: ["多次跑腿", "办理时间长", "指南与实际不符", "系统操作困难", "服务态度差"],
    5: ["超时未办", "重复提交材料", "推诿扯皮", "态度恶劣", "要求提供指南以外的材料"],
}
