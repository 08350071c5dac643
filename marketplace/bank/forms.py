"""Forms of the bank workspace."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .. import codes
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
    online_only = BooleanField("全流程线上办理")
    xinyidai = BooleanField("信易贷产品", default=True)
