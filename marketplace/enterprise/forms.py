"""Forms of the enterprise workspace."""
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Optional

from .. import codes
from ..inputs import CountField, DayField, OnceForm, WanField, fits
from ..models import CreditRepair, FinancingNeed, Objection
from ..web import select_choices


class NeedForm(OnceForm):
    amount_wan = WanField("融资金额（万元）", validators=[InputRequired("请填写融资金额。")])
    term_months = CountField("期限（月）", validators=[InputRequired("请填写期限。")])
    guarantee = SelectField("担保方式", choices=select_choices(codes.GUARANTEE_KINDS))
    urgency = SelectField("紧急程度", choices=select_choices(codes.URGENCIES), default="normal")
    purpose = TextAreaField("资金用途", validators=[DataRequired("请填写资金用途。"), fits(FinancingNeed.purpose)])


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class AuthorizationForm(OnceForm):
    """数据授权: nothing is pre-chosen — no institution, no scope, no end date (the firm picks each)."""

    institution_id = SelectField("授权机构", coerce=int, validators=[InputRequired("请选择金融机构。")])
    scopes = CheckboxesField("授权范围", choices=select_choices(codes.AUTHORIZATION_SCOPES))
    valid_until = DayField("授权截止日期（最长三年）", validators=[InputRequired("请填写授权截止日期。")])
    widen = BooleanField("如已授权该机构：同意把现有授权扩大到所选范围、延长到所选日期")


class ApplyForm(OnceForm):
    """一键申请 to one or several products, with the credit commitment and the data authorization. Nothing is
    pre-ticked: the scopes, the end date and each widening of an existing authorization are the firm's acts."""

    product_ids = SelectMultipleField("申请产品", coerce=int, validators=[DataRequired("请至少选择一个产品。")])
    need_id = HiddenField()
    amount_wan = WanField("申请金额（万元）", validators=[InputRequired("请填写申请金额。")])
    term_months = CountField("申请期限（月）", validators=[InputRequired("请填写申请期限。")])
    scopes = CheckboxesField("授予尚未获授权机构的范围", choices=select_choices(codes.AUTHORIZATION_SCOPES))
    authorize_until = DayField("授权截止日期（最长三年）", validators=[Optional()])
    widen_institution_ids = CheckboxesField("扩大现有授权", coerce=int, choices=[])
    authorize = BooleanField("我同意按上表授权所列金融机构查看本企业数据",
                             validators=[DataRequired("申请须同时授权所选机构查看本企业数据。")])
    commitment = BooleanField("我已阅读并签署上述信用承诺（主动承诺型）",
                              validators=[DataRequired("申请前须签署信用承诺。")])


class ObjectionForm(OnceForm):
    # choices: the firm's own records (objections.disputable_records), set by the view
    record = SelectField("有异议的记录", choices=[], validate_choice=False,
                         validators=[DataRequired("请选择有异议的具体记录。")])
    kind = SelectField("异议类型", choices=select_choices(codes.OBJECTION_KINDS, "请选择"),
                       validators=[DataRequired("请选择异议类型。")])
    description = TextAreaField("异议理由（正确的数值或情况）", validators=[
        DataRequired("请说明异议理由。"), fits(Objection.description)])


class RepairForm(OnceForm):
    # choices: the firm's unrepaired penalties, set by the view
    penalty_id = SelectField("申请修复的行政处罚", choices=[], validate_choice=False,
                             validators=[DataRequired("请选择行政处罚记录。")])
    evidence = TextAreaField("已纠正失信行为的情况及证明材料", validators=[
        DataRequired("请说明已纠正失信行为的情况及证明材料。"), fits(CreditRepair.evidence)])
    commitment = BooleanField("我已阅读并签署上述信用承诺（信用修复型）",
                              validators=[DataRequired("申请信用修复须签署信用修复型承诺。")])
