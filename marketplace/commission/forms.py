"""Forms of the commission workspace."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from .. import codes
from ..inputs import fits
from ..models import ApiKey, Institution, User
from ..services.passwords import MAX_LENGTH, MIN_LENGTH
from ..web import select_choices


class OnboardInstitutionForm(FlaskForm):
    name = StringField("机构名称", validators=[DataRequired("请填写机构名称。"), fits(Institution.name)])
    kind = SelectField("机构类型", choices=select_choices(codes.INSTITUTION_KINDS))
    licence_no = StringField("许可证编号", validators=[DataRequired("请填写许可证编号。"), fits(Institution.licence_no)])
    region_code = SelectField("所在区县", choices=select_choices(codes.REGIONS))
    officer_name = StringField("首位业务人员姓名", validators=[DataRequired("请填写姓名。"), fits(User.display_name)])
    officer_username = StringField("业务人员登录名", validators=[DataRequired("请填写登录名。"),
                                                            fits(User.username, 3)])
    officer_password = PasswordField(f"初始密码（至少{MIN_LENGTH}位；首次登录时须修改）", validators=[
        DataRequired("请填写初始密码。"), Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"密码至少{MIN_LENGTH}位。")])


class ImportForm(FlaskForm):
    source = SelectField("数据来源", choices=[])
    file = FileField("数据文件（CSV 或 XLSX）", validators=[
        FileRequired("请选择要上传的文件。"),
        FileAllowed(["csv", "xlsx"], "只接受 CSV 或 XLSX 文件。")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..services.ingest import SOURCES

        self.source.choices = select_choices({s.code: f"{s.label}（{s.department}）" for s in SOURCES.values()})
class ApiKeyForm(FlaskForm):
    institution_id = SelectField("金融机构", coerce=int)
    name = StringField("用途说明", validators=[fits(ApiKey.name)], default="机构业务系统")
