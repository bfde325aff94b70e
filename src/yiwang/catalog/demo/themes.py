"""服务主题 (life events) of the two portal audiences, as the provincial portals group them."""

from __future__ import annotations

# 个人主题
BIRTH = "P01"
HUKOU = "P02"
MARRIAGE = "P03"
EDUCATION = "P04"
JOBS = "P05"
SOCIAL = "P06"
HOUSING = "P07"
TRAFFIC = "P08"
HEALTH = "P09"
DOCUMENTS = "P10"
ASSISTANCE = "P11"
FUND = "P12"
DISABILITY = "P13"
TRAVEL = "P14"
LEGAL = "P15"
DEATH = "P16"
# 法人主题
SETUP = "E01"
PERMITS = "E02"
CONSTRUCTION = "E03"
TAX = "E04"
HIRING = "E05"
QUALIFICATION = "E06"
ENVIRONMENT = "E07"
TRANSPORT = "E08"
FOOD_DRUG = "E09"
CLOSING = "E10"
IP = "E11"
TRADE = "E12"

THEMES: tuple[tuple[str, str, str, str], ...] = (
    (BIRTH, "生育收养", "person", "生育登记、出生医学证明、新生儿落户、收养登记"),
    (HUKOU, "户籍办理", "person", "出生登记、户口迁移、户口注销、居住证"),
    (MARRIAGE, "婚姻登记", "person", "结婚登记、离婚登记、补领婚姻登记证"),
    (EDUCATION, "教育科研", "person", "入学转学、学生资助、教师资格"),
    (JOBS, "就业创业", "person", "就业失业登记、创业扶持、职业培训"),
    (SOCIAL, "社会保障", "person", "养老、失业、工伤、医疗保险的参保与待遇"),
    (HOUSING, "住房保障", "person", "公共租赁住房、不动产登记、房屋租赁"),
    (TRAFFIC, "交通出行", "person", "驾驶证、机动车登记与检验"),
    (HEALTH, "医疗卫生", "person", "医保参保、异地就医、医护执业"),
    (DOCUMENTS, "证件办理", "person", "居民身份证、居住证、社会保障卡"),
    (ASSISTANCE, "民政救助", "person", "最低生活保障、特困供养、临时救助"),
    (FUND, "公积金", "person", "住房公积金缴存、提取、贷款"),
    (DISABILITY, "残疾人", "person", "残疾人证、残疾人补贴"),
    (TRAVEL, "出境入境", "person", "护照、往来港澳台通行证"),
    (LEGAL, "司法公证", "person", "法律援助、公证、律师执业"),
    (DEATH, "死亡殡葬", "person", "死亡户口注销、丧葬补助、惠民殡葬"),
    (SETUP, "设立变更", "enterprise", "企业、个体工商户、社会组织的设立与变更登记"),
    (PERMITS, "准营准办", "enterprise", "开展经营活动所需的行政许可"),
    (CONSTRUCTION, "工程建设", "enterprise", "用地、规划、施工许可、竣工验收与不动产登记"),
    (TAX, "税收财务", "enterprise", "税务登记、发票、税费申报缴纳"),
    (HIRING, "招聘用工", "enterprise", "社保登记、劳务派遣、人力资源服务"),
    (QUALIFICATION, "资质认证", "enterprise", "企业资质、检验检测机构资质认定"),
    (ENVIRONMENT, "环保绿化", "enterprise", "环境影响评价、排污许可、危险废物"),
    (TRANSPORT, "交通运输", "enterprise", "道路运输经营、从业资格"),
    (FOOD_DRUG, "食品药品", "enterprise", "食品、药品、医疗器械的生产经营许可"),
    (CLOSING, "注销退出", "enterprise", "企业和个体工商户注销"),
    (IP, "知识产权", "enterprise", "专利纠纷处理、知识产权保护"),
    (TRADE, "商务贸易", "enterprise", "进出口备案、海关业务"),
)

PERSON_THEMES = frozenset(code for code, _, audience, _ in THEMES if audience == "person")
ENTERPRISE_THEMES = frozenset(code for code, _, audience, _ in THEMES if audience == "enterprise")
