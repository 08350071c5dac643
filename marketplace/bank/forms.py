"""Forms of the bank workspace."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .. import codes, limits
from ..inputs import CountField, DayField, RateField, WanField, fits
from ..models import Application, OffPlatformLoan, Product
from ..services.workdays import today
from ..web import select_choices


class ProductForm(FlaskForm):
    name = StringField("产品名称", validators=[DataRequired("请填写产品名称。"), fits(Product.name)])
    kind = SelectField("产品类型", choices=select_choices(codes.PRODUCT_KINDS))
    description = TextAreaField("产品介绍", validators=[Optional(), fits(Product.description)])
    amount_min_wan = WanField("最低额度（万元）", validators=[InputRequired("请填写最低额度。")])
    amount_max_wan = WanField("最高额度（万元）", validators=[InputRequired("请填写最高额度。")])
    term_min = CountField("最短期限（月）", validators=[InputRequired("请填写最短期限。")])
    term_max = CountField("最长期限（月）", validators=[InputRequired("请填写最长期限。")])
    rate_min = RateField("年利率下限（%）", validators=[InputRequired("请填写利率下限。")])
    rate_max = RateField("年利率上限（%）", validators=[InputRequired("请填写利率上限。")])
    eligible_regions = SelectMultipleField("准入区县（不选为不限）", choices=select_choices(codes.REGIONS))
    eligible_industries = SelectMultipleField("准入行业（不选为不限）",
                                              choices=select_choices(codes.INDUSTRIES, show_code=True))
    eligible_sizes = SelectMultipleField("准入规模（不选为不限）", choices=select_choices(codes.SIZES))
    min_years = CountField("最低经营年限（年）", default=0, validators=[Optional()], bound=limits.YEARS)
    min_grade = SelectField("最低信用等级", choices=select_choices({g: g for g in codes.GRADES}, "不限"))
    dishonesty_rule = SelectField("严重失信主体", choices=select_choices(codes.DISHONESTY_RULES), default="block")
    repayment_method = SelectField("还款方式", choices=select_choices(codes.REPAYMENT_METHODS, "请选择"),
                                   validators=[DataRequired("请选择还款方式。")])
    default_days_past_due = CountField("逾期多少天认定为不良（留空按平台规则）", validators=[Optional()],
                                       bound=limits.DAYS_PAST_DUE)
    online_only = BooleanField("全流程线上办理")
    xinyidai = BooleanField("信易贷产品", default=True)


class VersionedForm(FlaskForm):
    """Every decision form carries the version the officer saw (optimistic lock)."""

    version = HiddenField()


class GrantForm(VersionedForm):
    amount_wan = WanField("授信金额（万元）", validators=[InputRequired("请填写授信金额。")])
    rate = RateField("年利率（%）", validators=[InputRequired("请填写年利率。")])
    term_months = CountField("授信期限（月）", validators=[InputRequired("请填写授信期限。")])


class RejectForm(VersionedForm):
    reason = SelectField("拒绝原因", choices=select_choices(codes.REJECT_REASONS, "请选择"),
                         validators=[DataRequired("请选择拒绝原因。")])
    note = TextAreaField("具体说明（将告知企业）", validators=[DataRequired("请填写拒绝的具体说明。"),
                                                            fits(Application.reject_note)])


class LoanEventForm(VersionedForm):
    """放款 / 还款: amount and date."""

    amount_wan = WanField("金额（万元）", validators=[InputRequired("请填写金额。")])
    on = DayField("日期", default=today, validators=[InputRequired("请填写日期。")])


class WriteOffForm(VersionedForm):
    """核销 of a 不良 loan (the date it leaves the 贷款余额)."""

    on = DayField("核销日期", default=today, validators=[InputRequired("请填写日期。")])
    note = TextAreaField("说明", validators=[Optional(), fits(Application.reject_note)])


class RepayForm(VersionedForm):
    """登记还款 in whole 元: instalments are computed to the yuan (services/schedules.py)."""

    amount = CountField("还款金额（元，按还款计划先息后本冲抵）", validators=[InputRequired("请填写还款金额。")],
                        bound=limits.YUAN)
    on = DayField("还款日期", default=today, validators=[InputRequired("请填写日期。")])


class OffPlatformForm(FlaskForm):
    month = StringField("月份（年-月）", validators=[DataRequired("请填写月份。"), Length(max=16)])
    uscc = StringField("企业统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码。"), Length(max=32)])
    enterprise_name = StringField("企业名称", validators=[Optional(), fits(OffPlatformLoan.enterprise_name)])
    amount_wan = WanField("放款金额（万元）", validators=[InputRequired("请填写放款金额。")])
    loan_count = CountField("笔数", default=1, validators=[InputRequired("请填写笔数。")], bound=limits.LOAN_COUNT)


class OffPlatformCorrectForm(FlaskForm):
    """Correct one report (the firm and month stay; withdraw and report again to change them)."""

    enterprise_name = StringField("企业名称", validators=[Optional(), fits(OffPlatformLoan.enterprise_name)])
    amount_wan = WanField("放款金额（万元）", validators=[InputRequired("请填写放款金额。")])
    loan_count = CountField("笔数", validators=[InputRequired("请填写笔数。")], bound=limits.LOAN_COUNT)


class OffPlatformUploadForm(FlaskForm):
    month = StringField("月份（年-月）", validators=[DataRequired("请填写月份。"), Length(max=16)])
    file = FileField("CSV文件", validators=[FileRequired("请选择文件。")])
