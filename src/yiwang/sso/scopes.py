"""The scopes relying parties may ask for (no Django imports: settings reads this)."""

SCOPES = {
    "openid": "登录身份标识",
    "profile": "姓名",
    "identity": "实名等级和脱敏身份证号码",
    "enterprise": "当前代表的企业及授权范围",
    "staff": "工作人员岗位（仅限平台信任的部门系统）",
}
