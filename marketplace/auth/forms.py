"""Forms for registration and login."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from .. import codes, limits
from ..inputs import DayField, WanField, fits
from ..models import Enterprise, User
from ..services.passwords import MAX_LENGTH, MIN_LENGTH
from ..web import select_choices

PASSWORD_LABEL = f"密码（至少{MIN_LENGTH}位，不能是常见密码，也不能包含您的账号）"


class LoginForm(FlaskForm):
    username = StringField("登录名", validators=[DataRequired("请填写登录名。"), fits(User.username)])
    password = PasswordField("密码", validators=[DataRequired("请填写密码。")])


class ChangePasswordForm(FlaskForm):
    """修改密码: the current one, the new one twice; the policy itself is checked by the service."""
    current_password = PasswordField("当前密码", validators=[DataRequired("请填写当前密码。")])
    password = PasswordField(f"新{PASSWORD_LABEL}", validators=[
        DataRequired("请填写新密码。"), Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"密码至少{MIN_LENGTH}位。")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("password", "两次输入的密码不一致。")])


class RegisterEnterpriseForm(FlaskForm):
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码。"), Length(max=32)])
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称。"), fits(Enterprise.name)])
    legal_representative = StringField("法定代表人", validators=[DataRequired("请填写法定代表人。"),
                                                                      fits(Enterprise.legal_representative)])
    industry = SelectField("行业门类（GB/T 4754-2017）",
                           choices=select_choices(codes.INDUSTRIES, "请选择行业", show_code=True),
                           validators=[DataRequired("请选择所属行业门类。")])
    size = SelectField("企业规模", choices=select_choices(codes.SIZES, "请选择规模"),
                       validators=[DataRequired("请选择企业规模。")])
    registered_capital_wan = WanField("注册资本（万元）", validators=[Optional()], bound=limits.WAN_OR_ZERO)
    established_on = DayField("成立日期", validators=[Optional()])
    username = StringField("登录名", validators=[DataRequired("请填写登录名。"), fits(User.username, 3)])
    password = PasswordField(PASSWORD_LABEL, validators=[
        DataRequired("请填写密码。"), Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"密码至少{MIN_LENGTH}位。")])
    confirm = PasswordField("确认密码", validators=[EqualTo("password", "两次输入的密码不一致。")])
