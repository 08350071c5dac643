"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json."""

_STATUS = ["submitted", "accepted", "granted", "rejected", "withdrawn", "confirmed", "declined", "disbursed", "repaid",
           "overdue", "defaulted"]
_ERR = {"$ref": "#/components/responses/Error"}


def _post(summary: str, description: str, schema: dict) -> dict:
    return {"post": {
        "summary": summary, "description": description,
        "parameters": [{"$ref": "#/components/parameters/ApplicationId"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"200": {"description": "更新后的申请", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Application"}}}},
                      "401": _ERR, "404": _ERR, "409": _ERR, "422": _ERR}}}


_VERSION = {"type": "integer", "description": "调用方看到的申请版本号（乐观锁）；不一致时返回409"}

SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "济南市信易贷平台 金融机构接口",
        "version": "1.0.0",
        "description": (
            "供入驻金融机构的业务系统调用：查询本机构产品的融资申请、受理、授信或拒绝、登记放款与还款、"
            "报告逾期与不良。与平台页面使用同一业务规则（状态机、审计、站内消息）。金额为整数（元），"
            "利率为年化百分比的十进制字符串，日期为 YYYY-MM-DD。密钥由发改委在管理后台签发。"),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}, {"apiKey": []}],
    "paths": {
        "/applications": {"get": {
            "summary": "本机构的申请列表",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": _STATUS}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 200}}],
            "responses": {"200": {"description": "分页列表", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}},
                    "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}}}}},
                "401": _ERR, "422": _ERR}}},
        "/applications/{id}": {"get": {
            "summary": "读取一笔申请", "parameters": [{"$ref": "#/components/parameters/ApplicationId"}],
            "responses": {"200": {"description": "申请", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Application"}}}}, "401": _ERR, "404": _ERR}}},
        "/applications/{id}/accept": _post(
            "受理", "submitted → accepted；答复期限为受理日后第10个工作日（法定节假日与调休按国务院安排）。",
            {"type": "object", "properties": {"version": _VERSION}}),
        "/applications/{id}/decision": _post(
            "授信或拒绝", "accepted → granted（须 amount、rate、term_months）或 rejected（须 reason 与 note）。",
            {"type": "object", "required": ["decision"], "properties": {
                "decision": {"type": "string", "enum": ["grant", "reject"]},
                "amount": {"type": "integer", "description": "授信金额（元）"},
                "rate": {"type": "string", "example": "4.350", "description": "年利率（%）"},
                "term_months": {"type": "integer"},
                "reason": {"type": "string", "enum": ["credit_insufficient", "repayment_capacity", "dishonesty",
                                                      "guarantee", "information", "policy", "duplicate", "other"]},
                "note": {"type": "string", "description": "拒绝的具体说明，将告知企业"},
                "version": _VERSION}}),
        "/applications/{id}/disbursement": _post(
            "登记放款", "confirmed（企业已确认授信）→ disbursed；金额不超过授信金额；生成还款计划。",
            {"type": "object", "required": ["amount", "date"], "properties": {
                "amount": {"type": "integer"}, "date": {"type": "string", "format": "date"}, "version": _VERSION}}),
        "/applications/{id}/repayments": _post(
            "登记还款", "disbursed/overdue；按还款计划先息后本、从最早一期起冲抵；还清全部本息时转为 repaid（已结清）。"
            "逾期与不良由平台按还款计划自动认定，不能由接口报告。",
            {"type": "object", "required": ["amount", "date"], "properties": {
                "amount": {"type": "integer"}, "date": {"type": "string", "format": "date"}, "version": _VERSION}}),
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer xyd_…"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        "parameters": {"ApplicationId": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}},
        "responses": {"Error": {"description": "错误（中文说明）", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                             "field": {"type": "string"}}}}}}},
        "schemas": {"Application": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"type": "string", "enum": _STATUS},
            "status_label": {"type": "string"}, "version": {"type": "integer"},
            "enterprise": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "uscc": {"type": "string"}}},
            "product": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "amount": {"type": "integer"}, "term_months": {"type": "integer"}, "dishonesty_flag": {"type": "boolean"},
            "submitted_at": {"type": "string", "format": "date-time"},
            "accepted_at": {"type": ["string", "null"], "format": "date-time"},
            "decision_due": {"type": ["string", "null"], "format": "date"}, "late": {"type": "boolean"},
            "decided_at": {"type": ["string", "null"], "format": "date-time"},
            "grant": {"type": ["object", "null"]}, "rejection": {"type": ["object", "null"]},
            "disbursement": {"type": ["object", "null"]},
            "repaid_amount": {"type": "integer"}, "balance": {"type": "integer"},
            "repayment_method": {"type": ["string", "null"], "enum": ["equal_instalment", "interest_only", "bullet", None]},
            "days_past_due": {"type": "integer"},
            "schedule": {"type": "array", "items": {"type": "object", "properties": {
                "seq": {"type": "integer"}, "due_on": {"type": "string", "format": "date"},
                "principal": {"type": "integer"}, "interest": {"type": "integer"},
                "principal_paid": {"type": "integer"}, "interest_paid": {"type": "integer"},
                "settled_on": {"type": ["string", "null"], "format": "date"}}}}}}},
    },
}
