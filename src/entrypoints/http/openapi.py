"""The published contract of the HTTP API: the OpenAPI document and its docs UI (ADR 0010).

Conventions are applied here once, for every route, instead of on each handler:

- summary and description come from the handler's docstring (first sentence, then the
  rest), followed by what the route's guards, method and parameters imply;
- the error answers each operation can give (problem+json: `code`, `title`, `detail`,
  `field`) follow from the same facts: a guard → 401/403, a path parameter → 404, a
  write → 409, input → 422, `If-Match` required → 428, any `/api` route → 429;
- the request headers every client may send (`If-Match`, `Idempotency-Key`, `Prefer`,
  `X-Reason`, `X-Request-Id`) are declared where they apply;
- body schemas are pydantic's own JSON schemas of the models that validate them (what
  is documented is what is accepted: dicts are objects, commands refuse extra fields);
- each request body carries a realistic example (`examples.REQUEST_EXAMPLES`).

The docs UI is Swagger UI from the `swagger-ui-bundle-v2` package, served by huoke
itself under `/schema/assets`: the page loads nothing from another origin, so it works
on a machine without internet access.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from functools import partial
from typing import Any

from litestar.config.app import AppConfig
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, OpenAPI, SecurityScheme, Tag
from litestar.plugins import InitPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.utils.sync import AsyncCallable
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from swagger_ui_bundle import swagger_ui_path

from entrypoints.http.conventions import if_match_of, permission_of
from entrypoints.http.examples import REQUEST_EXAMPLES

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
# Litestar's own routes and ours: the modules whose pydantic models appear in the spec.
_OUR_PACKAGES = ("application", "entrypoints", "domain")
_WRITES = ("post", "put", "patch", "delete")
_COMPONENT = "#/components/schemas/"

PROBLEM = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An error (RFC 9457). `code` is stable; `field` names the input at "
    "fault; nothing was changed.",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/invalid_input"]},
        "title": {"type": "string", "examples": ["Invalid input"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "examples": ["invalid_input"]},
        "detail": {"type": "string", "examples": ["name: String should have at least 1 character"]},
        "field": {
            "type": "string",
            "description": "The input at fault (a body field or a header such as `If-Match`)",
            "examples": ["name"],
        },
        "instance": {"type": "string", "examples": ["/api/v1/departments"]},
        "request_id": {"type": ["string", "null"], "description": "The `X-Request-Id`"},
        "errors": {
            "type": "array",
            "description": "Every invalid field (422 `invalid_input`)",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                    "source": {"type": ["string", "null"]},
                },
            },
        },
    },
    "additionalProperties": True,
}

# Why each status is answered; which statuses an operation documents is derived below.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "malformed_header",
        "A header is malformed (e.g. `X-Reason` that is not percent-encoded or RFC 8187 UTF-8).",
    ),
    401: (
        "unauthenticated",
        "No credential, or an unknown, revoked or disabled one (`WWW-Authenticate: Bearer`).",
    ),
    403: (
        "permission_denied",
        "The credential's roles lack the permission, it is the "
        "wrong kind (tenant API key vs. staff token), or the subscription does not allow it.",
    ),
    404: ("not_found", "No such record (another tenant's records answer 404 too)."),
    409: (
        "conflict",
        "The record changed since you read it (stale `If-Match`), its state "
        "forbids this, or it already exists.",
    ),
    413: ("body_too_large", "The body is larger than the route accepts."),
    422: (
        "invalid_input",
        "Invalid input; `field` names the input at fault and `detail` the rule. With `errors` "
        "(each invalid field): the body or a parameter does not match its schema. Without: "
        "a rule beyond the schema (`invalid_value`: an unknown timezone or role, a malformed "
        "mobile; `invalid_input`: a record named by id that does not exist, a cursor not "
        "handed out, an `Idempotency-Key` reused with another body).",
    ),
    428: ("if_match_required", "`If-Match` is missing: send the version (`ETag`) you last read."),
    429: (
        "rate_limited",
        "Too many requests for this credential or address, or a plan "
        "quota is used up (`quota`, `limit`, `used`); retry after `Retry-After` seconds.",
    ),
    502: ("provider_unavailable", "The payment provider did not answer; nothing was changed."),
}

HEADERS: dict[str, dict[str, Any]] = {
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "description": 'The version you last read (the `ETag`, e.g. `"3"`); a stale '
        "one answers 409 and changes nothing.",
        "schema": {"type": "string", "pattern": r'^(W/)?"?[0-9]{1,12}"?$', "examples": ['"3"']},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A key you choose (e.g. a UUID) that makes a retry safe: a repeat "
        "with the same key and body answers like the first and records nothing again; the "
        "same key with another body is refused (422).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "Prefer": {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": "`read-your-writes` makes the answer wait until the lists and "
        "searches show the change.",
        "schema": {"type": "string"},
    },
    "XReason": {
        "name": "X-Reason",
        "in": "header",
        "required": False,
        "description": "Why you make the change, stored with its events in the audit "
        "trail (at most 500 characters). Header values are ASCII: send Chinese as "
        "percent-encoded UTF-8 (`%E7%A6%BB%E8%81%8C%E4%BA%A4%E6%8E%A5`) or RFC 8187 "
        "(`UTF-8''%E7%A6%BB%E8%81%8C`).",
        # Printable ASCII in which every `%` starts an escape (requests.py checks the rest:
        # the escapes must be UTF-8 without control characters).
        "schema": {
            "type": "string",
            "pattern": r"^(?:[\x20-\x24\x26-\x7e]|%[0-9A-Fa-f]{2})*$",
            "examples": ["%E7%A6%BB%E8%81%8C%E4%BA%A4%E6%8E%A5"],
        },
    },
    "XRequestId": {
        "name": "X-Request-Id",
        "in": "header",
        "required": False,
        "description": "Your id for this request (1-100 of `A-Z a-z 0-9 . _ : -`), echoed "
        "back and stored with every event it records; without one, or with another shape, "
        "huoke makes one.",
        # No `pattern` or length: another shape is not refused, it is replaced.
        "schema": {"type": "string"},
    },
}
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "The request's id (yours, or the one huoke made): quote it to support.",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "The record's version: send it back as `If-Match` to change it.",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {"schema": {"type": "string", "examples": ["Bearer"]}},
    "Content-Disposition": {
        "description": "The file name to save the answer under.",
        "schema": {"type": "string", "examples": ['attachment; filename="leads.xlsx"']},
    },
    "X-Total-Count": {
        "description": "How many records the file holds.",
        "schema": {"type": "integer", "minimum": 0},
    },
}
_SUCCESS = {"200": "OK", "201": "Created", "202": "Accepted", "204": "No content"}


class ApiDocumentation(InitPlugin, ReceiveRoutePlugin):
    """Serves `/schema` (Swagger UI from packaged assets, `openapi.json`, `openapi.yaml`)
    and documents every route by the conventions above.

    Give it to `Litestar(plugins=[...])`; it sets the app's `openapi_config` and adds the
    static route for the UI's assets."""

    def __init__(self, *, tags: Iterable[Tag] = ()) -> None:
        self.tags = list(tags)
        self.handlers: dict[tuple[str, str], tuple[HTTPRoute, HTTPRouteHandler]] = {}

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.openapi_config = DocumentedOpenAPIConfig(
            title="huoke API",
            version="1",
            description=API_DESCRIPTION,
            path=DOCS_PATH,
            render_plugins=[packaged_swagger_ui()],
            tags=self.tags or None,
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
            documentation=self,
        )
        app_config.route_handlers.append(docs_assets())
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                self.handlers[(route.path_format, method.lower())] = (route, handler)
            _allow_every_method(route)

    def document(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The spec Litestar generated, with huoke's conventions applied."""
        spec = copy.deepcopy(spec)
        components = spec.setdefault("components", {})
        _use_pydantic_schemas(spec)
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        components["parameters"] = HEADERS
        components["headers"] = RESPONSE_HEADERS
        components["responses"] = {str(status): _problem_response(status) for status in ERRORS}
        for path, method, operation in _operations(spec):
            route, handler = self.handlers[(path, method)]
            Operation(self, spec, path, method, operation, route, handler).document()
        return spec


class Operation:
    """One operation of the spec and the handler behind it."""

    def __init__(
        self,
        documentation: ApiDocumentation,
        spec: dict[str, Any],
        path: str,
        method: str,
        operation: dict[str, Any],
        route: HTTPRoute,
        handler: HTTPRouteHandler,
    ) -> None:
        self.documentation = documentation
        self.spec = spec
        self.path = path
        self.method = method
        self.operation = operation
        self.route = route
        self.handler = handler
        self.fn = _unwrap(handler.fn)
        self.source = _source(self.fn)
        self.permission = permission_of(handler)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_write(self) -> bool:
        return self.method in _WRITES

    @property
    def if_match(self) -> str | None:
        """'required', 'optional' or None: how the handler reads `If-Match` (as its
        `expected_version` dependency, or by calling `if_match(request)` itself)."""
        declared = if_match_of(self.handler)
        if declared is not None:
            return declared
        if re.search(r"(?<!optional_)if_match\(", self.source):
            return "required"
        if "optional_if_match(" in self.source:
            return "optional"
        return None

    def document(self) -> None:
        op = self.operation
        doc = " ".join(inspect.cleandoc(self.fn.__doc__ or "").split())
        op["summary"] = self.handler.summary or _summary(doc) or _humanise(op["operationId"])
        op["description"] = "\n\n".join(part for part in (doc, self.conventions()) if part)
        if self.permission:
            op["x-permission"] = f"{self.permission[1]}:{self.permission[2]}"
        if not self.handler.resolve_guards():
            op["security"] = []
        for parameter in op.get("parameters", []):
            _document_query_times(parameter)
        op["parameters"] = [*op.get("parameters", []), *self.header_parameters()]
        self.document_body()
        self.document_responses()

    def conventions(self) -> str:
        lines = []
        if self.permission:
            kind, resource, action = self.permission
            who = "a tenant API key" if kind == "tenant" else "a platform staff token"
            lines.append(f"Needs {who} whose roles allow `{resource}:{action}`.")
        elif not self.handler.resolve_guards():
            lines.append("Public: no credential needed.")
        if self.if_match == "required":
            lines.append("Send `If-Match` with the `ETag` you last read (428 without it).")
        elif self.if_match == "optional":
            lines.append("`If-Match` is optional; when sent, a stale version answers 409.")
        names = {p.get("name") for p in self.operation.get("parameters", [])}
        if "cursor" in names:
            lines.append(
                "Paged: `limit` (1-100, default 20) and the `next_cursor` of the "
                "previous page as `cursor`."
            )
        return " ".join(lines)

    def header_parameters(self) -> Iterator[dict[str, Any]]:
        if self.if_match == "required":
            yield {**HEADERS["IfMatch"], "required": True}
        elif self.if_match == "optional":
            yield {**HEADERS["IfMatch"], "required": False}
        if self.is_api and self.method == "post":
            yield _parameter("IdempotencyKey")
        if self.is_api and self.is_write:
            yield _parameter("Prefer")
            if "X-Reason" in self.handler.opt.get("required_headers", ()):
                yield {**HEADERS["XReason"], "required": True}
            else:
                yield _parameter("XReason")
        yield _parameter("XRequestId")

    def document_body(self) -> None:
        body = self.operation.get("requestBody")
        if body is None:
            return
        example = REQUEST_EXAMPLES.get(self.operation["operationId"])
        for media in body.get("content", {}).values():
            if example is not None:
                media["example"] = example

    def document_responses(self) -> None:
        responses = self.operation.setdefault("responses", {})
        responses.pop("400", None)  # Litestar's own: huoke answers malformed bodies with 422
        for status, response in responses.items():
            if status.startswith("2"):
                response["description"] = _SUCCESS.get(status, response.get("description"))
                self.document_media_types(response)
            headers = response.setdefault("headers", {})
            headers["X-Request-Id"] = {"$ref": "#/components/headers/X-Request-Id"}
            if status.startswith("2") and ("with_etag(" in self.source or '"ETag"' in self.source):
                headers["ETag"] = {"$ref": "#/components/headers/ETag"}
        for status in sorted(self.error_statuses()):
            responses[str(status)] = {"$ref": f"#/components/responses/{status}"}

    def document_media_types(self, response: dict[str, Any]) -> None:
        """A handler that answers something else than JSON says so in its `opt`:
        `media_types` (each documented: JSON as generated, text as a string, anything
        else as a binary file) and `response_headers` (names in `RESPONSE_HEADERS`)."""
        media_types = self.handler.opt.get("media_types")
        if media_types:
            generated = response.get("content", {}).get("application/json", {})
            response["content"] = {
                media: generated
                if media == "application/json"
                else {"schema": {"type": "string"}}
                if media.startswith("text/")
                else {"schema": {"type": "string", "format": "binary"}}
                for media in media_types
            }
        for name in self.handler.opt.get("response_headers", ()):
            response.setdefault("headers", {})[name] = {"$ref": f"#/components/headers/{name}"}

    def error_statuses(self) -> set[int]:
        statuses: set[int] = set()
        guarded = bool(self.handler.resolve_guards())
        params = self.operation.get("parameters", [])
        if guarded:
            statuses |= {401, 403}
        if self.route.path_parameters or self.body_names_records():
            statuses.add(404)
        if self.is_write:
            statuses.add(409)
        if self.is_api and self.is_write:
            statuses.add(400)
        if self.operation.get("requestBody") or any(
            p.get("in") in ("query", "path") for p in params
        ):
            statuses.add(422)
        if self.is_api and self.method == "post":
            statuses.add(422)  # a malformed Idempotency-Key
        if self.operation.get("requestBody"):
            statuses.add(413)
        if self.if_match == "required":
            statuses.add(428)
        if self.is_api:  # the rate limit (callbacks and /healthz are outside it)
            statuses.add(429)
        # What no convention shows (e.g. a callback's forged signature: 401).
        statuses |= set(self.handler.opt.get("errors", ()))
        return statuses

    def body_names_records(self) -> bool:
        """The body refers to other records by id (which may not exist: 404)."""
        body = self.operation.get("requestBody")
        if not body:
            return False
        schema = next(iter(body.get("content", {}).values()), {}).get("schema", {})
        return any(name.endswith(("_id", "_ids")) for name in _property_names(self.spec, schema))


class DocumentedOpenAPIConfig(OpenAPIConfig):
    """Litestar's config, whose spec passes through `ApiDocumentation.document`."""

    def __init__(self, *, documentation: ApiDocumentation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.documentation = documentation

    def to_openapi_schema(self) -> OpenAPI:
        generated = super().to_openapi_schema()
        documented = DocumentedOpenAPI(
            **{f.name: getattr(generated, f.name) for f in fields(generated)}
        )
        documented.documentation = self.documentation
        return documented


class DocumentedOpenAPI(OpenAPI):
    documentation: ApiDocumentation

    def to_schema(self) -> dict[str, Any]:
        return self.documentation.document(super().to_schema())


def packaged_swagger_ui() -> SwaggerRenderPlugin:
    """Swagger UI at `/schema` (and `/schema/swagger`) from `docs_assets()`."""
    return SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        path=["/", "/swagger"],
    )


def docs_assets() -> Any:
    """The Swagger UI distribution that the `swagger-ui-bundle-v2` package installs."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[swagger_ui_path],
        name="docs_assets",
        include_in_schema=False,
    )


API_DESCRIPTION = """Marketing cloud and social CRM for companies that win customers \
through WeChat, WeCom, SMS, e-mail and H5 pages.

* **Authenticate** with `Authorization: Bearer <API key or staff token>`: tenant API \
keys for `/api/v1/...`, platform staff tokens for `/api/v1/admin/...`.
* **Errors** are `application/problem+json` with a stable `code`, a `title`, the \
`detail` and the `field` at fault; a refused request changes nothing. Another tenant's \
record answers 404, as one that does not exist.
* **Updates** take `If-Match: "<version>"`, the `ETag` of your last read (428 without it, \
409 when stale).
* **Creating POSTs** take `Idempotency-Key`: a retry answers like the first and records \
nothing again.
* `Prefer: read-your-writes` waits until lists show the change; `X-Reason` (percent-encoded \
UTF-8) is stored with the change in the audit trail; `X-Request-Id` is echoed.
* **Lists** take `limit` (1-100) and the opaque `cursor` from `next_cursor`.
"""


# --- helpers -------------------------------------------------------------------------


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                yield path, method, operation


def _allow_every_method(route: HTTPRoute) -> None:
    """Make `OPTIONS` list every method of the path.

    Litestar (2.25) builds the automatic OPTIONS handler for the first handler of a path
    and keeps it when it merges the path's other handlers into a new route, so its `Allow`
    named only the first method. The handler reads `methods` from the route it was made
    for, which is found in its closure."""
    options = route.route_handler_map.get("OPTIONS")
    if options is None:
        return
    fn = _unwrap(options[0].fn)
    for cell in getattr(fn, "__closure__", None) or ():
        stale = cell.cell_contents
        if isinstance(stale, HTTPRoute) and stale is not route:
            stale.methods = route.methods


def _document_query_times(parameter: dict[str, Any]) -> None:
    """A time in the query string is parsed as RFC 3339 or as Unix seconds (`0.5`): say
    both, or a client sending seconds would seem to break the contract."""
    schema = parameter.get("schema", {})
    variants = schema.get("oneOf") or schema.get("anyOf") or [schema]
    if parameter.get("in") != "query" or not any(v.get("format") == "date-time" for v in variants):
        return
    nullable = any(v.get("type") == "null" for v in variants)
    parameter["schema"] = {
        "oneOf": [
            {"type": "string", "format": "date-time"},
            {"type": "number", "description": "Unix time in seconds"},
            *([{"type": "null"}] if nullable else []),
        ]
    }
    parameter.setdefault("description", "RFC 3339 (`2026-11-30T08:00:00+08:00`) or Unix seconds")


def _parameter(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _unwrap(fn: Any) -> Any:
    while isinstance(fn, AsyncCallable | partial):
        fn = fn.func
    return fn


def _source(fn: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def _summary(doc: str | None) -> str:
    """The docstring's first clause: its first sentence up to a `;`, `:` or ` (`."""
    flat = " ".join(inspect.cleandoc(doc or "").split())
    first = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s", flat, maxsplit=1)[0]
    return re.split(r";|:\s| \(| - ", first, maxsplit=1)[0].strip().rstrip(".")


def _humanise(operation_id: str) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", operation_id).lower()
    return words[:1].upper() + words[1:]


def _problem_response(status: int) -> dict[str, Any]:
    code, why = ERRORS[status]
    headers: dict[str, Any] = {}
    if status == 401:
        headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
    if status == 429:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    headers["X-Request-Id"] = {"$ref": "#/components/headers/X-Request-Id"}
    return {
        "description": why,
        "headers": headers,
        "content": {
            PROBLEM: {
                "schema": {"$ref": f"{_COMPONENT}Problem"},
                "example": {
                    "type": f"/problems/{code}",
                    "title": code.replace("_", " ").capitalize(),
                    "status": status,
                    "code": code,
                    "detail": why,
                },
            }
        },
    }


def _property_names(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> set[str]:
    if depth > 5:
        return set()
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(_COMPONENT)
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            names |= _property_names(spec, sub, depth + 1)
    return names


# --- body schemas from pydantic ------------------------------------------------------


class _Schemas(GenerateJsonSchema):
    """Pydantic's JSON schema, as huoke answers: every field of an answer is present
    (Litestar dumps defaults too), and no per-field titles (the names say it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def field_is_required(self, field: Any, total: bool) -> bool:
        if self.mode == "serialization":
            return True
        return super().field_is_required(field, total)


def _our_models() -> dict[str, list[type[BaseModel]]]:
    """Our pydantic models by the component name Litestar gives them."""
    found: dict[str, list[type[BaseModel]]] = {}
    seen: set[type[BaseModel]] = set()

    def visit(cls: type[BaseModel]) -> None:
        for sub in cls.__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            if sub.__module__.split(".")[0] in _OUR_PACKAGES:
                name = re.sub(r"[^a-zA-Z0-9_.\-]", "_", sub.__qualname__.replace(".<locals>.", "."))
                found.setdefault(name, []).append(sub)
            visit(sub)

    visit(BaseModel)
    return found


def _use_pydantic_schemas(spec: dict[str, Any]) -> None:
    """Replace Litestar's schema of each of our models by pydantic's own.

    Litestar's generator types a `dict` field with a size limit as an array and does not
    say that commands refuse extra fields, so the docs' own examples failed; pydantic's
    schema is what actually validates the request (ADR 0010). Request bodies refer to the
    validation schema and answers to the serialization schema of the same model."""
    schemas = spec.get("components", {}).get("schemas", {})
    candidates = _our_models()
    models = {name: candidates[name][0] for name in schemas if len(candidates.get(name, [])) == 1}
    inputs: set[str] = set()
    outputs: set[str] = set()
    for _, _, operation in _operations(spec):
        inputs |= _refs(operation.get("requestBody", {}))
        outputs |= _refs(operation.get("responses", {}))
    wanted = [(models[n], "validation") for n in sorted(inputs) if n in models] + [
        (models[n], "serialization") for n in sorted(outputs) if n in models
    ]
    if not wanted:
        return
    refs, definitions = models_json_schema(
        wanted, ref_template=_COMPONENT + "{model}", schema_generator=_Schemas
    )
    kept = {name: schema for name, schema in schemas.items() if name not in models}
    kept.update(definitions.get("$defs", {}))
    spec["components"]["schemas"] = dict(sorted(kept.items()))

    def rename(node: Any, mode: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.removeprefix(_COMPONENT) if isinstance(ref, str) else ""
            if name in models:
                node["$ref"] = refs[(models[name], mode)]["$ref"]  # type: ignore[index]
            for value in node.values():
                rename(value, mode)
        elif isinstance(node, list):
            for value in node:
                rename(value, mode)

    for _, _, operation in _operations(spec):
        rename(operation.get("requestBody"), "validation")
        rename(operation.get("responses"), "serialization")


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT):
            found.add(ref.removeprefix(_COMPONENT))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found
