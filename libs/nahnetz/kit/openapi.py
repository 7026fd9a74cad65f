"""What an API says about itself: its OpenAPI document and the pages showing it.

`create_api` installs both. The OpenAPI that FastAPI makes is completed so it tells
the truth about refusals:

- one error schema, `ErrorBody` (`http_errors`), for every status >= 400, in place of
  FastAPI's default 422 schema (HTTPValidationError), which no answer ever had;
- the statuses each route can answer, found from what it uses: 401 with a bearer
  token, 403 with a role check, 409/422 with an Idempotency-Key, 503 with the broker,
  Redis or state a lifespan makes (each dependency says so with `@answers`), 404 with
  ids in the path, 422 with parameters or a body, 400 and 413 with a body; a route
  adds what only it knows with `responses=error_responses(...)`;
- what a 202 means: the worker applies the change shortly after, and until then its
  status URL may answer 404.

/docs and /redoc load Swagger UI and ReDoc from the installed `fastapi-offline`
package (served under /docs-assets), so they work without internet.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any, Iterator

from fastapi import FastAPI, Request, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .http_errors import ErrorBody, answers_of, describe

ERROR_SCHEMA_REF = "#/components/schemas/ErrorBody"
DOCS_ASSETS_URL = "/docs-assets"
ACCEPTED = ("Accepted: the change is recorded as an event; the service's worker applies it shortly after. "
            "Until it has, the status URL (`status_url` in the body, and the `Location` header where "
            "given) may answer **404** or still show the earlier state: poll it with a short back-off "
            "rather than treating that 404 as a failure.")
_PLACEHOLDERS = ("Validation Error", "Additional Response", "Successful Response")
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


# -- the OpenAPI -----------------------------------------------------------------------------
def install_contract(app: FastAPI, *, max_body_bytes: int) -> None:
    """Make `app.openapi()` answer the completed document (made once, then cached)."""
    made_by_fastapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_answers(app, made_by_fastapi(), max_body_bytes=max_body_bytes)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def document_answers(app: FastAPI, schema: dict[str, Any], *, max_body_bytes: int) -> None:
    """Complete `schema` (FastAPI's OpenAPI of `app`) in place; see the module doc."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        components.pop(name, None)
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorBody"] = error_schema

    for route in _api_routes(app):
        declared = {}
        for dependency in _dependencies(route.dependant):
            for status, response in answers_of(dependency.call).items():
                declared.setdefault(int(status), []).append(response["description"])
        for method in route.methods or ():
            operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete(operation, declared, max_body_bytes)


def _complete(operation: dict[str, Any], declared: dict[int, list[str]], max_body_bytes: int) -> None:
    responses = operation.setdefault("responses", {})
    params = operation.get("parameters", [])
    path_ids = [p["name"] for p in params if p.get("in") == "path"]
    inferred = dict(declared)
    if path_ids and "404" not in responses:  # a route's own 404 says better what is missing
        names = " or ".join(f"`{name}`" for name in path_ids)
        inferred.setdefault(404, []).append(f"Not found: no such {names} (or not visible to the caller)")
    if params or "requestBody" in operation:
        inferred.setdefault(422, []).insert(0, "The request is invalid: with `error` validation_failed, "
                                               "`detail` names each field and what is wrong with it")
    if "requestBody" in operation:
        inferred.setdefault(400, []).append("The body cannot be read at all (e.g. it is not UTF-8)")
        inferred.setdefault(413, []).append(f"The body is larger than {max_body_bytes} bytes")
    for status, texts in inferred.items():
        response = responses.setdefault(str(status), {})
        given = response.get("description", "")
        # What the route said (one text, or a list of them) first, then what its parts say.
        said = [] if given in _PLACEHOLDERS else [t.removeprefix("- ") for t in given.split("\n") if t.strip()]
        response["description"] = describe(status, list(dict.fromkeys(said + texts)))
    for status, response in responses.items():
        if status[:1] in ("4", "5") or status == "default":
            # Every refusal has the one error body, whatever FastAPI or a route put there.
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}}
    operation["responses"] = responses = dict(sorted(responses.items()))
    if "202" in responses:
        responses["202"]["description"] = ACCEPTED
        note = "A 202 answer means *accepted, not yet applied*: " + ACCEPTED[len("Accepted: "):]
        operation["description"] = f"{operation['description']}\n\n{note}" if operation.get("description") else note


def _api_routes(app: FastAPI) -> Iterator[Any]:
    # FastAPI includes routers lazily: the route contexts carry the full paths.
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.original_route, routing.APIRoute) and context.include_in_schema:
            yield context


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


# -- /docs and /redoc without internet -------------------------------------------------------
def serve_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Swagger UI at /docs and ReDoc at /redoc, their scripts served by the app itself.
    `app` must be made with docs_url=None and redoc_url=None."""
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"
    # No online validator badge: Swagger UI would send the document to validator.swagger.io.
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{oauth2_redirect_url}", swagger_ui_parameters=parameters)

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png", with_google_fonts=False)
