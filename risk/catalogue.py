"""The feature catalogue: every feature the engine may use, its source, risk direction and reason texts.

This list is the only way a department field becomes a model input. Each entry says which table it
comes from, whether more of it means more (+1) or less (-1) risk — which becomes the LightGBM
monotone constraint — and the reason shown when it pushes a firm's risk up: `reason` for the bank
officer, `plain` in plain words for the SME itself. `{level}` is filled with 偏高/偏低 for features
without a fixed direction, `{value}` with the firm's category (by its label, VALUE_LABELS).

Left out on purpose: the district (region_code). The firm cannot act on it, the synthetic city gives it no
effect of its own, and as a feature it only picked up noise (the 8th by gain, and the top reason of 235
firms); it stays a segment of the model card's AUC table. Changes over months are compared like with
like: a month or quarter against the year is divided by the same ratio a year earlier (同比季节调整), so
the Spring Festival dip in January / February does not read as decline.

Data that is not lawful credit data (DOMAIN.md: petitions 信访, unpaid property fees, red-light
running, uncivil dog walking, garbage sorting …) can never enter: FORBIDDEN_TERMS is checked against
this catalogue by the tests and against every table and column handed to `features.build` or
`model.train`.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    label: str          # Chinese label, as shown on the model card
    source: str         # department table it is built from
    direction: int      # +1: more means riskier; -1: more means safer; 0: no fixed direction
    reason: str         # for the bank officer, when this feature pushes risk up
    plain: str          # for the SME itself, in plain words
    categorical: bool = False


def _f(name, label, source, direction, reason, plain, categorical=False):
    return Feature(name, label, source, direction, reason, plain, categorical)


TAX, GRADE, SI, PF, UTIL = "tax_records", "tax_grades", "social_insurance_records", "provident_fund_records", \
    "utility_records"
PEN, LIST, REG = "penalties", "list_entries", "registry_enterprises"
COMMIT, NEG = "broken_commitments", "penalties+list_entries+broken_commitments"

UTILITY_KINDS = {"water": "用水", "electricity": "用电", "gas": "用气"}

FEATURES: tuple[Feature, ...] = (
    # 纳税
    _f("tax_paid_12m", "近12个月纳税额（元）", TAX, -1,
       "近12个月纳税额偏低", "贵企业近一年缴纳的税款较少"),
    _f("tax_trend_12m", "近12个月纳税趋势（月均斜率/月均值）", TAX, -1,
       "近12个月纳税额呈下降趋势", "贵企业近一年缴税金额在逐月减少"),
    _f("tax_yoy", "纳税额同比变化", TAX, -1,
       "纳税额同比下降", "贵企业今年缴税比去年同期少"),
    _f("tax_volatility_12m", "近12个月纳税波动（变异系数）", TAX, +1,
       "纳税额波动较大", "贵企业每月缴税金额起伏较大"),
    _f("tax_zero_months_12m", "近12个月零纳税月数", TAX, +1,
       "近12个月零申报（零纳税）月份较多", "贵企业近一年有多个月份没有缴税"),
    _f("revenue_12m", "近12个月营业收入（元）", TAX, -1,
       "近12个月营业收入偏低", "贵企业近一年的营业收入较少"),
    _f("revenue_yoy", "营业收入同比变化", TAX, -1,
       "营业收入同比下降", "贵企业今年的营业收入比去年同期少"),
    _f("revenue_3m_vs_12m", "近3个月月均营业收入 / 近12个月月均（同比季节调整）", TAX, -1,
       "近3个月营业收入低于全年水平", "贵企业最近三个月的营业收入低于近一年的平均水平"),
    _f("revenue_1m_vs_12m", "最近一个月营业收入 / 近12个月月均（同比季节调整）", TAX, -1,
       "最近一个月营业收入明显低于全年水平", "贵企业上个月的营业收入低于近一年的平均水平"),
    _f("revenue_yoy_3m", "近3个月营业收入同比变化", TAX, -1,
       "近3个月营业收入同比下降", "贵企业最近三个月的营业收入比去年同期少"),
    _f("revenue_trend_6m", "近3个月营业收入 / 前3个月（同比季节调整）", TAX, -1,
       "营业收入较前一季度下降", "贵企业最近三个月的营业收入比之前三个月少"),
    # Seasonally adjusted by the model's own table of industry × calendar-month factors (risk.seasonal, estimated
    # from its training firms and saved with it): like with like, so the Spring Festival dip is not decline.
    _f("revenue_1m_vs_12m_sa", "最近一个月营业收入 / 近12个月月均（按行业季节因子调整）", TAX, -1,
       "最近一个月营业收入低于近一年水平（已剔除季节因素）",
       "贵企业上个月的营业收入（已扣除春节等季节因素）低于近一年的平均水平"),
    _f("revenue_3m_vs_12m_sa", "近3个月月均营业收入 / 近12个月月均（按行业季节因子调整）", TAX, -1,
       "近3个月营业收入低于近一年水平（已剔除季节因素）",
       "贵企业最近三个月的营业收入（已扣除春节等季节因素）低于近一年的平均水平"),
    _f("revenue_1m_vs_24m_sa", "最近一个月营业收入 / 近24个月月均（按行业季节因子调整）", TAX, -1,
       "最近一个月营业收入低于近两年水平（已剔除季节因素）",
       "贵企业上个月的营业收入（已扣除春节等季节因素）低于近两年的平均水平"),
    _f("revenue_1m_vs_6m_ago_sa", "最近一个月营业收入 / 6个月前当月（按行业季节因子调整）", TAX, -1,
       "营业收入比半年前下降（已剔除季节因素）",
       "贵企业上个月的营业收入（已扣除春节等季节因素）比半年前少"),
    _f("revenue_per_head", "人均月营业收入（元）", TAX, -1,
       "人均营业收入偏低", "贵企业每名参保员工创造的营业收入较少"),
    _f("income_tax_rate_3m", "最近一季所得税 / 营业收入", TAX, -1,
       "最近一季所得税税负偏低（盈利能力弱）", "贵企业最近一个季度缴纳的所得税相对收入较少，反映盈利较弱"),
    _f("income_tax_rate_6m", "近6个月所得税 / 营业收入", TAX, -1,
       "所得税税负偏低（盈利能力弱）", "贵企业近半年缴纳的所得税相对收入较少，反映盈利较弱"),
    _f("income_tax_rate_12m", "近12个月所得税 / 营业收入", TAX, -1,
       "近12个月所得税税负偏低（盈利能力弱）", "贵企业近一年缴纳的所得税相对收入较少，反映盈利较弱"),
    _f("vat_rate_3m", "近3个月增值税 / 营业收入", TAX, -1,
       "近3个月增值税缴纳比例偏低", "贵企业最近三个月缴纳的增值税相对收入偏少"),
    _f("tax_arrears_ratio", "欠税额 / 月均营业收入", TAX, +1,
       "欠税额相对收入较高", "贵企业未缴清的税款相对收入较多"),
    _f("tax_arrears_up_months_6m", "近6个月欠税增加的月数", TAX, +1,
       "近6个月新增欠税", "贵企业近半年有月份新增了欠缴税款"),
    _f("tax_arrears_latest", "最近一期欠税额（元）", TAX, +1,
       "存在欠缴税款", "贵企业目前有未缴清的税款"),
    _f("tax_arrears_months_12m", "近12个月欠税月数", TAX, +1,
       "近12个月多次欠缴税款", "贵企业近一年多次没有按时缴清税款"),
    # 纳税信用等级
    _f("tax_grade_rank", "纳税信用等级（A=1 … D=5）", GRADE, +1,
       "纳税信用等级偏低", "贵企业的纳税信用等级不高"),
    # 社保
    _f("si_headcount", "参保人数（最近一期）", SI, -1,
       "社保参保人数较少", "贵企业参加社保的员工人数较少"),
    _f("si_headcount_trend_12m", "参保人数12个月变化率", SI, -1,
       "社保参保人数减少", "贵企业参加社保的员工人数比一年前减少"),
    _f("si_headcount_vs_24m", "参保人数 / 近24个月平均", SI, -1,
       "参保人数低于两年平均水平", "贵企业参加社保的员工人数低于近两年的平均水平"),
    _f("si_short_months_6m", "近6个月社保未足额缴纳月数", SI, +1,
       "近6个月社保费多次未足额缴纳", "贵企业近半年有多个月份社保费没有缴足"),
    _f("si_unpaid_ratio_3m", "近3个月社保应缴未缴比例", SI, +1,
       "近3个月社保费未足额缴纳", "贵企业最近三个月社保费没有足额缴纳"),
    _f("si_arrears_months", "社保欠缴月数（最近一期）", SI, +1,
       "存在社保费欠缴", "贵企业目前有欠缴的社保费"),
    _f("si_unpaid_ratio_12m", "近12个月社保应缴未缴比例", SI, +1,
       "近12个月社保费足额缴纳比例偏低", "贵企业近一年社保费没有足额缴纳"),
    # 公积金
    _f("pf_headcount", "公积金缴存人数（最近一期）", PF, -1,
       "公积金缴存人数较少", "贵企业缴存住房公积金的员工人数较少"),
    _f("pf_unpaid_months_12m", "近12个月公积金断缴月数", PF, +1,
       "近12个月公积金存在断缴", "贵企业近一年有月份没有缴存住房公积金"),
    # 水电气
    *(
        f
        for kind, zh in UTILITY_KINDS.items()
        for f in (
            _f(f"util_{kind}_yoy_3m", f"近3个月{zh}量同比变化", UTIL, -1,
               f"近3个月{zh}量同比下降", f"贵企业近三个月的{zh}量比去年同期少"),
            _f(f"util_{kind}_3m_vs_12m", f"近3个月{zh}量 / 近12个月月均（同比季节调整）", UTIL, -1,
               f"近3个月{zh}量低于全年水平", f"贵企业最近三个月的{zh}量低于近一年的平均水平"),
            _f(f"util_{kind}_yoy_12m", f"近12个月{zh}量同比变化", UTIL, -1,
               f"近12个月{zh}量同比下降", f"贵企业近一年的{zh}量比上一年少"),
        )
    ),
    _f("util_electricity_1m_vs_24m_sa", "最近一个月用电量 / 近24个月月均（按行业季节因子调整）", UTIL, -1,
       "最近一个月用电量低于近两年水平（已剔除季节因素）",
       "贵企业上个月的用电量（已扣除季节因素）低于近两年的平均水平"),
    _f("util_late_3m", "近3个月水电气逾期缴费次数", UTIL, +1,
       "近3个月水电气费逾期缴纳", "贵企业最近三个月有晚交水电气费的情况"),
    _f("util_late_12m", "近12个月水电气逾期缴费次数", UTIL, +1,
       "近12个月水电气费多次逾期缴纳", "贵企业近一年多次晚交水电气费"),
    _f("util_days_late_max_12m", "近12个月水电气最长逾期天数", UTIL, +1,
       "水电气费逾期天数较长", "贵企业有水电气费拖欠时间较长"),
    # 行政处罚（已信用修复、已过公示期的不计）
    *(
        _f(f"pen_{sev}_{w}m", f"近{w}个月{zh}行政处罚次数", PEN, +1,
           f"近{w}个月有{zh}行政处罚记录", f"贵企业近{'一' if w == 12 else '三'}年受到过{zh}行政处罚")
        for w in (12, 36)
        for sev, zh in (("minor", "轻微"), ("general", "一般"), ("serious", "严重"))
    ),
    # 名单
    _f("list_serious_dishonest", "在严重失信主体名单上（条数）", LIST, +1,
       "被列入严重失信主体名单", "贵企业目前在严重失信名单上"),
    _f("list_abnormal_operation", "在经营异常名录上", LIST, +1,
       "被列入经营异常名录", "贵企业目前在经营异常名录上"),
    _f("list_red", "在守信红名单上（条数）", LIST, -1,
       "未进入守信红名单", "贵企业尚未进入守信红名单"),
    # 信用承诺（工作人员核实记录的未履行承诺）
    _f("commitments_broken_36m", "近36个月未履行信用承诺次数", COMMIT, +1,
       "近36个月有未履行的信用承诺", "贵企业近三年有未履行的信用承诺"),
    _f("negative_records_36m", "近36个月失信记录合计（一般及严重处罚、失信名单、经营异常、未履行承诺）", NEG, +1,
       "近36个月失信记录较多", "贵企业近三年有多条失信记录"),
    # 企业基本情况
    _f("firm_age_years", "成立年限（年）", REG, -1,
       "企业成立时间较短", "贵企业成立时间还不长"),
    _f("registered_capital_log", "注册资本（对数）", REG, 0,
       "注册资本{level}", "贵企业的注册资本{level}"),
    _f("size", "企业规模", REG, 0,
       "企业规模（{value}）风险较高", "同规模（{value}）企业的整体风险较高", categorical=True),
    _f("industry", "所属行业", REG, 0,
       "所属行业（{value}）风险较高", "贵企业所在行业（{value}）整体风险较高", categorical=True),
)

# How a category value is shown inside a reason text ({value}).
VALUE_LABELS = {
    "size": {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"},
    "industry": {
        "A": "农林牧渔业", "B": "采矿业", "C": "制造业", "D": "电力热力燃气及水", "E": "建筑业", "F": "批发和零售业",
        "G": "交通运输仓储邮政", "H": "住宿和餐饮业", "I": "信息技术服务业", "J": "金融业", "K": "房地产业",
        "L": "租赁和商务服务业", "M": "科研和技术服务业", "N": "水利环境公共设施", "O": "居民服务修理业",
        "P": "教育", "Q": "卫生和社会工作", "R": "文化体育娱乐业", "S": "公共管理社会组织", "T": "国际组织",
    },
}

BY_NAME = {f.name: f for f in FEATURES}
# Ratios over revenue: missing when the firm's revenue was zero, which is a fact shown as such (营业收入为零).
REVENUE_BASED = ("revenue_yoy", "revenue_3m_vs_12m", "revenue_1m_vs_12m", "revenue_yoy_3m", "revenue_trend_6m",
                 "income_tax_rate_3m", "income_tax_rate_6m", "income_tax_rate_12m", "vat_rate_3m",
                 "tax_arrears_ratio", "revenue_per_head", "revenue_1m_vs_12m_sa", "revenue_3m_vs_12m_sa",
                 "revenue_1m_vs_24m_sa", "revenue_1m_vs_6m_ago_sa")
NAMES = [f.name for f in FEATURES]
CATEGORICAL = [f.name for f in FEATURES if f.categorical]
MONOTONE = {f.name: f.direction for f in FEATURES if not f.categorical}

# Fields that are not lawful credit data unless a law says so (DOMAIN.md). Matched, lower-cased, as
# substrings of table names, column names, feature names, labels and sources.
FORBIDDEN_TERMS = (
    "信访", "上访", "petition",
    "物业费", "property_fee", "propertyfee",
    "闯红灯", "红灯", "red_light", "redlight", "traffic_light",
    "遛狗", "养犬", "dog",
    "垃圾分类", "垃圾", "garbage", "waste_sorting", "trash",
)


class ForbiddenDataError(ValueError):
    """Raised when data that is not lawful credit data is handed to the engine."""


def forbidden_terms_in(text: str) -> list[str]:
    low = str(text).lower()
    return [t for t in FORBIDDEN_TERMS if t in low]


def refuse_forbidden(names, what: str = "column") -> None:
    """Raise ForbiddenDataError if any name looks like non-credit data (信访, 物业费, 闯红灯 …)."""
    bad = [(n, forbidden_terms_in(n)) for n in names if forbidden_terms_in(n)]
    if bad:
        listed = ", ".join(f"{n!r} ({'/'.join(t)})" for n, t in bad)
        raise ForbiddenDataError(
            f"refused {what} {listed}: not lawful credit data (信访、物业费、闯红灯、遛狗、垃圾分类等不得用于信用评价)")
