"""Which crawl leaves the portal crawler measures, and with which probe (see assessment.crawler)."""

from __future__ import annotations

PROBES: dict[str, str] = {
    "A1.1": "entry",  # 首页有指向政务服务平台的入口
    "A1.2": "availability",  # 重复探测可访问率（15秒超时）
    "A1.3": "response_time",  # 首页与指南页响应时间中位数（秒）
    "A1.4": "accessibility",  # axe-core 严重及以上违规数/页
    "A1.5": "links",  # 失效链接（4xx/5xx/软404）占比
    "A2.2": "search",  # 高频事项名检索前5命中率
    "A3.2": "mobile",  # 移动端友好（视口、可缩放、字号）0–100
    "B1.1": "power_list",  # 权责清单页存在且12个月内更新
    "B1.2": "service_list",  # 公共服务清单页存在且12个月内更新
    "B2.2": "guides_public",  # 指南免登录可访问比例
    "B2.3": "guides_obtainable",  # 指南页200且可打印/下载
    "C3.4": "consistency",  # 门户指南与平台数据一致比例
    "C4.3": "forms",  # 表格下载可用（状态码+文件头）
}
