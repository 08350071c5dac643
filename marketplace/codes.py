"""Reference code lists the platform speaks: regions, industries, sizes, kinds and grades, with Chinese labels."""

# GB/T 2260 administrative divisions of 济南市 (the demo city).
CITY_CODE = "370100"
CITY_NAME = "济南市"
REGIONS = {
    "370102": "历下区",
    "370103": "市中区",
    "370104": "槐荫区",
    "370105": "天桥区",
    "370112": "历城区",
    "370113": "长清区",
    "370114": "章丘区",
    "370115": "济阳区",
    "370116": "莱芜区",
    "370117": "钢城区",
    "370124": "平阴县",
    "370126": "商河县",
}

# GB/T 4754-2017 sections.
INDUSTRIES = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

# 工信部联企业〔2011〕300号 size classes. Only small, medium and micro firms' loans count as SME loans.
SIZES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
SME_SIZES = ("medium", "small", "micro")

OPERATING_STATUSES = {"active": "存续", "suspended": "停业", "revoked": "吊销", "cancelled": "注销"}

INSTITUTION_KINDS = {
    "bank": "银行",
    "microcredit": "小额贷款公司",
    "guarantee": "融资担保公司",
    "village_bank": "村镇银行",
}

PRODUCT_KINDS = {
    "credit": "纯信用",
    "mortgage": "抵押",
    "guarantee": "担保",
    "pledge": "质押",
    "ip_pledge": "知识产权质押",
    "supply_chain": "供应链",
}

GUARANTEE_KINDS = {
    "credit": "信用（无担保）",
    "mortgage": "抵押",
    "guarantee": "保证担保",
    "pledge": "质押",
}

# The guarantee a product of each kind requires of the borrower (a supply-chain loan is a pledge of receivables).
PRODUCT_GUARANTEE = {"credit": "credit", "mortgage": "mortgage", "guarantee": "guarantee", "pledge": "pledge",
                     "ip_pledge": "pledge", "supply_chain": "pledge"}

PRODUCT_STATUSES = {"active": "在售", "paused": "已暂停"}
NEED_STATUSES = {"open": "发布中", "closed": "已关闭"}

# Platform credit grades, best first; products state a minimum grade from this list.
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")

ROLES = {"enterprise": "企业用户", "bank": "金融机构用户", "commission": "发改委用户"}


def grade_at_least(grade: str | None, minimum: str | None) -> bool:
    """True when `grade` is as good as or better than `minimum` (no minimum: always true)."""
    if not minimum:
        return True
    if not grade:
        return False
    return GRADES.index(grade) <= GRADES.index(minimum)

# How pressing a financing need is (融资紧急程度).
URGENCIES = {"normal": "一般", "soon": "较急（一个月内）", "urgent": "紧急（两周内）"}

# What a product does with a firm on a serious-dishonesty list (严重失信主体名单).
DISHONESTY_RULES = {"block": "不予准入", "flag": "提示人工审核"}
# Serious-dishonesty list types of list_entries (CONTRACT.md); abnormal_operation is negative but not serious.
SERIOUS_LIST_TYPES = ("dishonest_judgment_debtor", "major_tax_violation", "serious_illegal", "wage_arrears")

# 信用承诺 types (DOMAIN.md); one-click applications sign a 主动承诺型 commitment.
COMMITMENT_TYPES = {"approval": "审批替代型", "proactive": "主动承诺型", "repair": "信用修复型",
                    "self_regulation": "行业自律型"}

# What a data authorization (数据授权) lets an institution see.
AUTHORIZATION_SCOPES = {
    "profile": "企业基本信息",
    "score": "信用评分、等级及原因",
    "department": "部门数据（纳税、社保、公积金、水电气）",
    "records": "公共信用记录（行政处罚、名单）",
}

# The application state machine (services/applications.py).
APPLICATION_STATUSES = {
    "submitted": "已提交",
    "accepted": "已受理",
    "granted": "已授信（待企业确认）",
    "rejected": "已拒绝",
    "withdrawn": "已撤回",
    "confirmed": "企业已确认授信",
    "declined": "企业已谢绝授信",
    "disbursed": "已放款",
    "repaid": "已结清",
    "overdue": "逾期",
    "defaulted": "不良",
}
OPEN_APPLICATION_STATUSES = ("submitted", "accepted")

# 还款方式 of a product; its loans' schedules (services/schedules.py) follow it.
REPAYMENT_METHODS = {"equal_instalment": "等额本息（按月）", "interest_only": "先息后本（按月付息，到期还本）",
                     "bullet": "到期一次还本付息"}

# 实名核验 of a firm's account (services/identity.py).
IDENTITY_STATUSES = {"pending": "待核验", "verified": "已核验", "refused": "核验未通过"}

REJECT_REASONS = {
    "credit_insufficient": "信用状况未达准入要求",
    "repayment_capacity": "经营及还款能力不足",
    "dishonesty": "存在严重失信记录",
    "guarantee": "担保条件不足",
    "information": "申请材料不完整或信息不实",
    "policy": "不符合产品或监管政策",
    "duplicate": "重复申请",
    "other": "其他原因",
}

# 异议 kinds (DOMAIN.md): what a firm may dispute about a data record.
OBJECTION_KINDS = {
    "error": "数据错误",
    "omission": "数据遗漏",
    "duplicate": "重复记录",
    "not_public": "不应公开",
    "expired": "超过公示期限",
}
# What a firm can dispute: the department tables it is scored on.
OBJECTION_SOURCES = {
    "registry_enterprises": "登记信息",
    "tax_records": "纳税（月度）",
    "tax_grades": "纳税信用等级",
    "social_insurance_records": "社会保险",
    "provident_fund_records": "住房公积金",
    "utility_records": "水电气",
    "penalties": "行政处罚",
    "list_entries": "名单（黑名单、红名单）",
}
OBJECTION_STATUSES = {"submitted": "已提交", "verifying": "核查中", "upheld": "异议成立（已更正）", "rejected": "异议不成立"}

# Public-credit lists (名单): negative lists — the first four, SERIOUS_LIST_TYPES, are the serious-dishonesty
# lists (严重失信主体名单) — then the red lists.
LIST_TYPES = {
    "dishonest_judgment_debtor": "失信被执行人",
    "major_tax_violation": "重大税收违法失信主体",
    "serious_illegal": "严重违法失信名单",
    "wage_arrears": "拖欠农民工工资失信联合惩戒对象",
    "abnormal_operation": "经营异常名录",
    "a_taxpayer": "A级纳税人",
    "contract_honoring": "守合同重信用",
}
NEGATIVE_LIST_TYPES = SERIOUS_LIST_TYPES + ("abnormal_operation",)
RED_LIST_TYPES = ("a_taxpayer", "contract_honoring")

# What an institution opened of a firm's data (access_logs.what), as the firm reads it.
ACCESS_KINDS = {"firm_page": "企业信用画像（评分、原因、数据趋势）", "staff_firm_page": "企业档案（发改委）",
                "application_page": "融资申请页（信用等级及原因）",
                "matches_list": "需求撮合列表（信用等级、区县、行业、规模）"}

# What publicly shown (公示) sources are: objections against them count in indicator (三十五).
PUBLIC_RECORD_SOURCES = ("registry_enterprises", "penalties", "list_entries")
OBJECTION_OUTCOMES = {"corrected": "已更正", "withdrawn": "已撤下公示"}
PENALTY_SEVERITIES = {"minor": "轻微", "general": "一般", "serious": "严重"}
REPAIR_STATUSES = {"submitted": "待审核", "approved": "已修复", "rejected": "不予修复"}

# 联合奖惩: what a screening hit does (the product's dishonesty rule) and the red-list incentives.
JOINT_MEASURES = {"block": "不予准入（联合惩戒）", "flag": "提示人工审核（联合惩戒）",
                  "fast_track": "绿色通道（守信激励）", "incentive_flag": "守信提示（守信激励）",
                  "rate_note": "利率优惠提示（守信激励）"}
INCENTIVE_MEASURES = {"fast_track": "绿色通道", "flag": "守信提示", "rate_note": "利率优惠提示"}
JOINT_VIA = {"firm": "企业本身", "legal_representative": "法定代表人"}
CLAIM_STATUSES = {"filed": "待审核", "approved": "已代偿", "rejected": "已驳回"}

# 后台任务 (services/jobs.py): what a job does and where it is.
JOB_KINDS = {"import": "部门数据导入", "score_all": "全部企业重新评分", "report_pack": "月度报表包", "sharing_batch": "数据共享批次",
             "activate_model": "签批启用模型（重新评分全部企业）"}
JOB_STATES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
# 模型启用签批: signed (the city is being re-scored with it) → activated, or failed (the previous model stays)
MODEL_ACTIVATION_STATUSES = {"signed": "已签批，重新评分中", "activated": "已启用", "failed": "未启用（已回滚）"}
