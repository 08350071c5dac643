"""Forms of the enterprise workspace."""
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, NumberRange

from .. import codes
from ..web import select_choices


class NeedForm(FlaskForm):
    amount_wan = DecimalField("融资金额（万元）", places=2,
                              validators=[DataRequired("请填写融资金额。"), NumberRange(min=0.01, message="融资金额应大于0。")])
    term_months = IntegerField("期限（月）", validators=[DataRequired("请填写期限。"),
                                                    NumberRange(min=1, max=360, message="期限应为1–360个月。")])
    guarantee = SelectField("担保方式", choices=select_choices(codes.GUARANTEE_KINDS))
    purpose = TextAreaField("资金用途", validators=[DataRequired("请填写资金用途。")])
