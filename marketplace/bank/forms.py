"""Forms of the bank workspace."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .. import codes
from ..services.workdays import today
from ..web import select_choices


class ProductForm(FlaskForm):
    name = StringField("产品名称", validators=[DataRequired("请填写产品名称。"), Length(max=128)])
    kind = SelectField("产品类型", choices=select_choices(codes.PRODUCT_KINDS))
    description = TextAreaField("产品介绍", validators=[Optional()])
    amount_min_wan = DecimalField("最低额度（万元）", places=2, validators=[InputRequired("请填写最低额度。"),
                                                                  NumberRange(min=0.01, message="额度应大于0。")])
    amount_max_wan = DecimalField("最高额度（万元）", places=2, validators=[InputRequired("请填写最高额度。"),
                                                                  NumberRange(min=0.01, message="额度应大于0。")])
    term_min = IntegerField("最短期限（月）", validators=[InputRequired("请填写最短期限。")])
    term_max = IntegerField("最长期限（月）", validators=[InputRequired("请填写最长期限。")])
    rate_min = DecimalField("年利率下限（%）", places=3, validators=[InputRequired("请填写利率下限。")])
    rate_max = DecimalField("年利率上限（%）", places=3, validators=[InputRequired("请填写利率上限。")])
    eligible_regions = SelectMultipleField("准入区县（不选为不限）", choices=select_choices(codes.REGIONS))
    eligible_industries = SelectMultipleField("准入行业（不选为不限）",
                                              choices=select_choices(codes.INDUSTRIES, show_code=True))
    eligible_sizes = SelectMultipleField("准入规模（不选为不限）", choices=select_choices(codes.SIZES))
    min_years = IntegerField("最低经营年限（年）", default=0, validators=[Optional(), NumberRange(min=0)])
    min_grade = SelectField("最低信用等级", choices=select_choices({g: g for g in codes.GRADES}, "不限"))
    dishonesty_rule = SelectField("严重失信主体", choices=select_choices(codes.DISHONESTY_RULES), default="block")
    repayment_method = SelectField("还款方式", choices=select_choices(codes.REPAYMENT_METHODS, "请选择"),
                                   validators=[DataRequired("请选择还款方式。")])
    default_days_past_due = IntegerField("逾期多少天认定为不良（留空按平台规则）", validators=[
        Optional(), NumberRange(min=1, max=365, message="应为1–365天。")])
    online_only = BooleanField("全流程线上办理")
    xinyidai = BooleanField("信易贷产品", default=True)


class VersionedForm(FlaskForm):
    """Every decision form carries the version the officer saw (optimistic lock)."""

    version = HiddenField()


class GrantForm(VersionedForm):
    amount_wan = DecimalField("授信金额（万元）", places=2, validators=[InputRequired("请填写授信金额。"),
                                                                  NumberRange(min=0.01, message="授信金额应大于0。")])
    rate = DecimalField("年利率（%）", places=3, validators=[InputRequired("请填写年利率。")])
    term_months = IntegerField("授信期限（月）", validators=[InputRequired("请填写授信期限。")])


class RejectForm(VersionedForm):
    reason = SelectField("拒绝原因", choices=select_choices(codes.REJECT_REASONS, "请选择"),
                         validators=[DataRequired("请选择拒绝原因。")])
    note = TextAreaField("具体说明（将告知企业）", validators=[DataRequired("请填写拒绝的具体说明。")])


class LoanEventForm(VersionedForm):
    """放款 / 还款: amount and date."""

    amount_wan = DecimalField("金额（万元）", places=2, validators=[InputRequired("请填写金额。"),
                                                              NumberRange(min=0.01, message="金额应大于0。")])
    on = DateField("日期", default=today, validators=[InputRequired("请填写日期。")])


class WriteOffForm(VersionedForm):
    """核销 of a 不良 loan (the date it leaves the 贷款余额)."""
    on = DateField("核销日期", default=today, validators=[InputRequired("请填写日期。")])
    note = TextAreaField("说明", validators=[Optional(), Length(max=500)])


class RepayForm(VersionedForm):
    """登记还款 in whole 元: instalments are computed to the yuan (services/schedules.py)."""

    amount = IntegerField("还款金额（元，按还款计划先息后本冲抵）", validators=[
        InputRequired("请填写还款金额。"), NumberRange(min=1, max=10**12, message="还款金额应为正整数（元）。")])
    on = DateField("还款日期", default=today, validators=[InputRequired("请填写日期。")])


class OffPlatformForm(FlaskForm):
    month = StringField("月份（年-月）", validators=[DataRequired("请填写月份。")])
    uscc = StringField("企业统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码。")])
    enterprise_name = StringField("企业名称", validators=[Optional(), Length(max=128)])
    amount_wan = DecimalField("放款金额（万元）", places=2, validators=[InputRequired("请填写放款金额。"),
                                                                  NumberRange(min=0.01, message="金额应大于0。")])
    loan_count = IntegerField("笔数", default=1, validators=[InputRequired("请填写笔数。"), NumberRange(min=1)])


class OffPlatformCorrectForm(FlaskForm):
    """Correct one report (the firm and month stay; withdraw and report again to change them)."""
    enterprise_name = StringField("企业名称", validators=[Optional(), Length(max=128)])
    amount_wan = DecimalField("放款金额（万元）", places=2, validators=[InputRequired("请填写放款金额。"),
                                                                  NumberRange(min=0.01, max=100_000_000,
                                                                              message="金额应在0.01–1亿万元之间。")])
    loan_count = IntegerField("笔数", validators=[InputRequired("请填写笔数。"), NumberRange(min=1, max=10_000)])


class OffPlatformUploadForm(FlaskForm):
    month = StringField("月份（年-月）", validators=[DataRequired("请填写月份。")])
    file = FileField("CSV文件", validators=[FileRequired("请选择文件。")])
