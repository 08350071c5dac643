"""What each department source delivers: its table, columns (Chinese headers and accepted spellings), key and
the scope a file replaces."""
from dataclasses import dataclass

from sqlalchemy import Table

from ... import codes
from ...models import (
    CustomsCertification,
    ListEntry,
    Penalty,
    ProvidentFundRecord,
    RegistryEnterprise,
    SocialInsuranceRecord,
    TaxGrade,
    TaxRecord,
    UtilityRecord,
    credit_data,
)


def _labels(mapping: dict) -> dict:
    """Accepted spellings of a code list: the code itself and its Chinese label."""
    return {**{k: k for k in mapping}, **{v: k for k, v in mapping.items()}}


SIZE_VALUES = {**_labels(codes.SIZES), "大": "large", "中": "medium", "小": "small", "微": "micro"}
STATUS_VALUES = {**_labels(codes.OPERATING_STATUSES), "在业": "active", "开业": "active"}
INDUSTRY_VALUES = _labels(codes.INDUSTRIES)
REGION_VALUES = _labels(codes.REGIONS)
GRADE_VALUES = {**{g: g for g in credit_data.TAX_GRADES}, **{f"{g}级": g for g in credit_data.TAX_GRADES}}
UTILITY_VALUES = {"water": "water", "electricity": "electricity", "gas": "gas", "水": "water", "用水": "water",
                  "电": "electricity", "用电": "electricity", "气": "gas", "燃气": "gas", "天然气": "gas",
                  "用气": "gas"}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
SEVERITY_VALUES = _labels(SEVERITY_LABELS)
LIST_LABELS = codes.LIST_TYPES
LIST_VALUES = {**_labels(LIST_LABELS), "拖欠农民工工资": "wage_arrears", "严重违法失信": "serious_illegal",
               "重大税收违法": "major_tax_violation", "守合同重信用企业": "contract_honoring"}
UTILITY_LABELS = {"water": "水", "electricity": "电", "gas": "气"}


@dataclass(frozen=True)
class Field:
    """One column of a department file: table column name, Chinese header, kind and accepted values."""

    name: str
    label: str
    kind: str  # uscc, period, date, year, money, count, decimal, enum, text
    required: bool = True
    values: dict | None = None  # enum: accepted spelling -> stored code
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    note: str = ""

    def headers(self) -> list[str]:
        return [self.label, self.name, *self.aliases]


@dataclass(frozen=True)
class Source:
    """A department source: its table, its columns, the key a row may not repeat, and the scope it replaces."""

    code: str
    label: str
    department: str
    table: type
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    scope: str = "period"  # period | kind_period | year | decided_month | list_month | uscc
    record: tuple[str, ...] = ()  # what names one record across files, where `key` does not (see record_key)

    @property
    def record_key(self) -> tuple[str, ...]:
        """The columns that name the same record in two deliveries (ingest/governed.py finds a decided
        record's row in a new file by them): `record`, else the key a row may not repeat."""
        return self.record or self.key

    @property
    def sql_table(self) -> Table:
        return self.table.__table__


KIND_LABELS = {"uscc": "18位统一社会信用代码", "period": "所属月份", "date": "日期", "year": "年度（四位数字）",
               "money": "金额（元，整数）", "count": "非负整数", "decimal": "非负数", "enum": "代码或名称",
               "text": "文本"}
SCOPE_LABELS = {"period": "文件所含各所属期的全部记录", "kind_period": "文件所含各类别、各所属期的全部记录",
                "year": "文件所含各评价年度的全部记录", "decided_month": "文件所含各处罚决定月份的全部记录",
                "list_month": "文件所含各名单类型、各列入月份的全部记录",
                "uscc": "文件中出现的企业的原有记录（其他企业保留）"}

USCC = Field("uscc", "统一社会信用代码", "uscc", aliases=("社会信用代码", "信用代码"))
PERIOD = Field("period", "所属期", "period", aliases=("所属月份", "期间"),
               note="2026-10、202610、2026/10、2026年10月或该月任一日期")

SOURCES: dict[str, Source] = {s.code: s for s in (
    Source("registry", "在营企业数据库", "市市场监督管理局", RegistryEnterprise, (
        USCC,
        Field("name", "企业名称", "text", max_length=128),
        Field("region_code", "所属区县", "enum", values=REGION_VALUES, aliases=("行政区划代码", "区县代码"),
              note="区县代码（如370102）或名称（如历下区）"),
        Field("industry", "行业门类", "enum", values=INDUSTRY_VALUES, note="GB/T 4754-2017 门类字母或名称"),
        Field("size", "企业规模", "enum", values=SIZE_VALUES, note="大型、中型、小型、微型"),
        Field("established_on", "成立日期", "date", required=False),
        Field("registered_capital", "注册资本", "money", required=False),
        Field("operating_status", "经营状态", "enum", values=STATUS_VALUES, note="存续（在业）、停业、吊销、注销"),
        # 实名核验 compares it with what a registering account typed (services/identity.py).
        Field("legal_representative", "法定代表人", "text", required=False, max_length=64,
              aliases=("法人代表", "法定代表人姓名"), note="实名核验用；旧版文件可无此列"),
        Field("as_of", "数据截止日期", "date", required=False, aliases=("截止日期",),
              note="文件所描述的日期（各行相同）；不填则以导入日期为准。指标（九）取数据截止日期在统计期内或之前的最新文件；"
                   "文件所报经营状态的变化（注销、吊销、新增企业）自该日起计入（十七）（二十）（二十四），不改变以前各期；"
                   "早于已导入文件数据截止日期的文件不予导入"),
    ), scope="uscc", record=("uscc",)),
    Source("customs_certifications", "海关高级认证企业", "海关", CustomsCertification, (
        USCC,
        Field("certified_on", "认证日期", "date", aliases=("高级认证日期",)),
        Field("revoked_on", "撤销日期", "date", required=False, note="仍持有认证的留空"),
        Field("certificate_no", "认证证书编号", "text", required=False, max_length=64, aliases=("证书编号",)),
    ), key=("uscc", "certified_on"), scope="uscc"),
    Source("tax_records", "纳税（月度）", "市税务局", TaxRecord, (
        USCC, PERIOD,
        Field("revenue", "营业收入", "money", aliases=("销售收入",)),
        Field("vat_paid", "实缴增值税", "money", aliases=("增值税实缴税额", "实缴税额")),
        Field("income_tax_paid", "实缴所得税", "money", aliases=("所得税实缴税额",)),
        Field("arrears", "欠税金额", "money", aliases=("欠税余额",)),
    ), key=("uscc", "period")),
    Source("tax_grades", "纳税信用等级（年度）", "市税务局", TaxGrade, (
        USCC,
        Field("year", "评价年度", "year", aliases=("年度",)),
        Field("grade", "纳税信用等级", "enum", values=GRADE_VALUES, aliases=("信用等级",), note="A、B、M、C、D"),
    ), key=("uscc", "year"), scope="year"),
    Source("social_insurance_records", "社会保险（月度）", "市人力资源和社会保障局", SocialInsuranceRecord, (
        USCC, PERIOD,
        Field("insured_headcount", "参保人数", "count"),
        Field("amount_due", "应缴金额", "money"),
        Field("amount_paid", "实缴金额", "money"),
        Field("months_in_arrears", "连续欠缴月数", "count", aliases=("欠缴月数",)),
    ), key=("uscc", "period")),
    Source("provident_fund_records", "住房公积金（月度）", "市住房公积金管理中心", ProvidentFundRecord, (
        USCC, PERIOD,
        Field("headcount", "缴存人数", "count"),
        Field("amount_paid", "缴存金额", "money", aliases=("实缴金额",)),
    ), key=("uscc", "period")),
    Source("utility_records", "水电气（月度）", "供水、供电、燃气企业", UtilityRecord, (
        USCC, PERIOD,
        Field("kind", "类别", "enum", values=UTILITY_VALUES, aliases=("能源类别",), note="水、电、气"),
        Field("usage", "用量", "decimal", note="吨、千瓦时、立方米，最多两位小数"),
        Field("amount_billed", "应缴金额", "money", aliases=("账单金额",)),
        Field("days_late", "逾期天数", "count", aliases=("逾期缴费天数",)),
    ), key=("uscc", "period", "kind"), scope="kind_period"),
    Source("penalties", "行政处罚", "市信用信息共享平台", Penalty, (
        USCC,
        Field("decided_on", "处罚决定日期", "date", aliases=("决定日期",)),
        Field("authority", "处罚机关", "text", max_length=64),
        Field("category", "处罚类别", "text", max_length=32),
        Field("severity", "严重程度", "enum", values=SEVERITY_VALUES, note="轻微、一般、严重"),
        Field("fine", "罚款金额", "money"),
        Field("document_no", "处罚决定书文号", "text", max_length=64, aliases=("决定书文号", "文号")),
        Field("publication_end", "公示截止日期", "date"),
        Field("repaired_on", "信用修复日期", "date", required=False),
    ), scope="decided_month", record=("uscc", "document_no")),
    Source("list_entries", "名单（黑名单、红名单）", "市信用信息共享平台", ListEntry, (
        USCC,
        Field("list_type", "名单类型", "enum", values=LIST_VALUES, note="、".join(LIST_LABELS.values())),
        Field("start_on", "列入日期", "date"),
        Field("end_on", "移出日期", "date", required=False, note="仍在名单上的留空"),
        Field("document_no", "列入依据文号", "text", max_length=64, aliases=("依据文号", "文号")),
    ), key=("uscc", "list_type", "start_on"), scope="list_month"),
)}
