"""The OpenAPI 3.1 description of /api/v1/, generated from the routes registered with `views.endpoint` and
their pydantic models (api/schemas.py): a field, bound or code list changes in one place only."""
import re

from pydantic.json_schema import models_json_schema

from .schemas import Error
from .views import ENDPOINTS

INFO = {
    "title": "济南市信易贷平台 金融机构接口",
    "version": "1.0.0",
    "description": (
        "供入驻金融机构的业务系统调用：查询本机构产品的融资申请、受理、授信或拒绝、登记放款与还款、"
        "读取还款计划（逾期与不良由平台按还款计划自动认定）。与平台页面使用同一业务规则（状态机、审计、站内消息）。金额为整数（元），"
        "利率为年化百分比的十进制字符串，日期为 YYYY-MM-DD。密钥由发改委在管理后台签发。"
        "请求体须为JSON对象，不超过 64 KB；不符合格式时返回 400（不是JSON）或 422（字段不符），附中文说明。"),
}
ERROR_TEXT = {400: "请求体不是有效的JSON", 401: "缺少或无效的API密钥", 404: "申请不存在或不属于本机构",
              409: "版本号不一致（他人已先处理）", 413: "请求体过大", 422: "字段不符或业务规则不允许"}


def _name(model) -> str:
    return model.__name__


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _path(rule: str) -> tuple[str, list[dict]]:
    """'/applications/<int:application_id>' → ('/applications/{application_id}', [its parameter])."""
    params = []

    def sub(m):
        kind, name = m.group(1), m.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} if kind == "int"
                       else {"type": "string"}})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", sub, rule), params


def document() -> dict:
    inputs = {m for e in ENDPOINTS for m in (e.body, e.query) if m is not None}
    outputs = {e.response for e in ENDPOINTS} | {Error}
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(inputs, key=_name)] + [(m, "serialization") for m in sorted(outputs, key=_name)],
        ref_template="#/components/schemas/{model}")
    components = schemas.get("$defs", {})
    paths: dict = {}
    for e in ENDPOINTS:
        path, params = _path(e.rule)
        op = {"summary": e.summary, "parameters": list(params), "responses": {
            "200": {"description": "成功", "content": {"application/json": {"schema": _ref(e.response)}}}}}
        if e.description:
            op["description"] = e.description.strip()
        if e.query is not None:
            props = e.query.model_json_schema()["properties"]
            op["parameters"] += [{"name": name, "in": "query", "required": False, "schema": schema}
                                 for name, schema in props.items()]
        if e.body is not None:
            op["requestBody"] = {"required": any(f.is_required() for f in e.body.model_fields.values()),
                                 "content": {"application/json": {"schema": _ref(e.body)}}}
        for status in sorted(set(e.errors) | ({400, 413} if e.body is not None else set())):
            op["responses"][str(status)] = {"description": ERROR_TEXT[status],
                                            "content": {"application/json": {"schema": _ref(Error)}}}
        paths.setdefault(path, {})[e.method.lower()] = op
    return {
        "openapi": "3.1.0", "info": INFO, "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer xyd_…"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": components,
        },
    }
