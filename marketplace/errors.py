"""Error pages in Chinese: 400 with the reason a bad input was refused, 403 for the wrong role, 404, 413 for
oversized uploads, 429 for too many requests, CSRF failures."""
from flask import render_template, request
from flask_wtf.csrf import CSRFError

from .extensions import db
from .inputs import BadInput

MESSAGES = {
    400: ("请求无效", "提交的内容有误，请返回重试。"),
    403: ("无权访问", "您的账号没有访问此页面的权限。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除。"),
    405: ("请求方式不允许", "请通过页面上的按钮操作。"),
    413: ("文件过大", "上传的文件超过了平台允许的大小，请拆分后再上传。"),
    429: ("请求过于频繁", "操作过于频繁，请稍等几分钟后再试。"),
    500: ("系统错误", "服务器开小差了，请稍后再试。"),
}


def _render(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if code >= 500:  # a failed statement aborts the transaction; the page's own queries (navbar) need a fresh one
        db.session.rollback()
    if request.path.startswith("/api/"):
        return {"error": title, "message": detail or message}, code
    return render_template("error.html", code=code, title=title, message=detail or message), code


def _too_large(e):
    limit = request.max_content_length
    detail = (f"上传的内容超过了本页面允许的大小（{limit / 1024 / 1024:.0f} MB），请拆分后再上传。"
              if limit else None)
    return _render(413, detail)


def init_app(app):
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: _render(code))
    app.register_error_handler(413, _too_large)
    app.register_error_handler(BadInput, lambda e: _render(400, e.description))
    app.register_error_handler(
        CSRFError, lambda e: _render(400, "页面已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。"))
