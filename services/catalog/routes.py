"""The catalog's HTTP routes: parse, authorise, call a command or a query.

Writes (shop for its own goods, operator/admin for any shop) go to
`handlers.commands`, which publishes one event each on catalog.shops /
catalog.products; they answer 202 with a status URL. Reads (public, no token)
answer from the read models (`queries`).
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from nahnetz.geo import MAX_LATITUDE
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import Role, User, actor_for_shop, require_roles
from nahnetz.kit.errors import BadRequest, Conflict, DomainError, Forbidden, NotFound, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.lookup import found_or_404
from nahnetz.kit.publishing import ProducerDep

from . import queries
from .domain.csv_export import product_list_csv
from .handlers import commands
from .http_models import (CATEGORY_HELP, AdjustStock, Channel, CloseShop, DelistProduct, ListProduct, RegisterShop,
                          SearchCategory, UpdateProduct, UpdateShop)
from .settings import CatalogSettings

Writer = Annotated[User, Depends(require_roles(Role.SHOP, Role.OPERATOR, Role.ADMIN))]
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel")


class PayloadTooLarge(DomainError, status_code=413, code="payload_too_large"):
    """An upload beyond CATALOG_IMPORT_MAX_BYTES (413)."""


CatalogSettingsDep = Annotated[CatalogSettings, Depends(from_state("catalog"))]

# What only the routes know they may answer (the kit documents auth, ids, bodies, keys).
NOT_YOURS = (Forbidden, "Not allowed: a shop changes only its own goods")
NO_SHOP = (NotFound, "No such shop")
SHOP_CLOSED = (Conflict, "The shop is closed")
NO_PRODUCT = (NotFound, "No such product")
DELISTED = (Conflict, "The product is delisted")
CHANNEL = (Unprocessable, "The channel is one an operator records (PHONE, PAPER, ...), or the shop takes "
                          "no listing by phone")
UNCHANGED = "Nothing had to change: the resource is as asked (`status` unchanged)"
CHANGED = {202: {"description": "Accepted"}}


def accepted(result: commands.Accepted | None, unchanged_id: tuple[str, str] | None = None) -> JSONResponse:
    """202 with the resource id and its status URL; 200 when nothing had to change."""
    if result is None:
        name, resource_id = unchanged_id or ("resource", "")
        return JSONResponse({f"{name}_id": resource_id, "status": "unchanged", "changed": []}, status_code=200)
    return JSONResponse(result.as_body(), status_code=202, headers={"Location": result.status_url})


# -- shops ------------------------------------------------------------------------------------
shops = APIRouter(prefix="/v1/shops", tags=["shops"])


@shops.post("", status_code=202, summary="Register a shop (operator/admin, or a shop its own id)",
            responses=error_responses(NOT_YOURS, (Conflict, "A shop with this id is registered already"), CHANNEL))
async def register_shop(body: RegisterShop, user: Writer, redis: RedisDep, producer: ProducerDep,
                        once: Idempotency) -> Any:
    async def run() -> JSONResponse:
        return accepted(await commands.register_shop(redis, producer, user, body.record(), body.shop_id,
                                                     body.channel))
    return await once(run, status_code=202)


@shops.get("", summary="Open shops, optionally of one municipality")
async def list_shops(redis: RedisDep, municipality: Annotated[str | None, Query(max_length=80)] = None,
                     include_closed: bool = False) -> dict:
    found = await queries.list_shops(redis, municipality, include_closed=include_closed and not municipality)
    return {"count": len(found), "shops": found}


@shops.get("/{shop_id}", summary="The shop page: profile and listed goods with availability")
async def shop_page(shop_id: str, redis: RedisDep) -> dict:
    return found_or_404(await queries.shop_page(redis, shop_id),
                        f"Laden {shop_id} ist nicht bekannt (no shop {shop_id})")


@shops.patch("/{shop_id}", summary="Change a shop's profile", response_description=UNCHANGED,
             responses={**CHANGED, **error_responses(NOT_YOURS, NO_SHOP, SHOP_CLOSED, CHANNEL)})
async def update_shop(shop_id: str, body: UpdateShop, user: Writer, redis: RedisDep,
                      producer: ProducerDep) -> Any:
    return accepted(await commands.update_shop(redis, producer, user, shop_id, body.changes(), body.channel),
                    ("shop", shop_id))


@shops.delete("/{shop_id}", status_code=202, summary="Close a shop for good; its goods are delisted",
              responses=error_responses(NOT_YOURS, NO_SHOP, (Conflict, "The shop is closed already"), CHANNEL))
async def close_shop(shop_id: str, user: Writer, redis: RedisDep, producer: ProducerDep,
                     body: Annotated[CloseShop | None, Body()] = None) -> Any:
    body = body or CloseShop()
    return accepted(await commands.close_shop(redis, producer, user, shop_id, body.reason, body.note,
                                              body.channel))


@shops.post("/{shop_id}/products", status_code=202, summary="List a product",
            responses=error_responses(NOT_YOURS, NO_SHOP, SHOP_CLOSED, CHANNEL,
                                      (Unprocessable, "The listing breaks a rule (price, VAT, ...)")))
async def list_product(shop_id: str, body: ListProduct, user: Writer, redis: RedisDep, producer: ProducerDep,
                       once: Idempotency) -> Any:
    async def run() -> JSONResponse:
        return accepted(await commands.list_product(redis, producer, user, shop_id, body.draft(), body.stock,
                                                    body.channel))
    return await once(run, status_code=202)


def csv_payload(request: Request, body: bytes) -> bytes:
    """The CSV file from a raw body (text/csv) or the file part of a form upload."""
    content_type = request.headers.get("content-type", "text/csv")
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
        if not message.is_multipart():
            raise BadRequest("the form upload could not be read (multipart/form-data without parts)")
        for part in message.iter_parts():
            if part.get_filename() or part.get_param("name", header="content-disposition") in ("file", "csv"):
                return part.get_payload(decode=True) or b""
        raise BadRequest("the form has no file part (send the CSV as field 'file')")
    if not content_type.split(";")[0].strip().lower() in CSV_TYPES:
        raise BadRequest(f"send the product list as text/csv or multipart/form-data, not {content_type}")
    return body


@shops.post("/{shop_id}/products/import", status_code=202,
            summary="Import a product list (CSV, German or English headers); report per line",
            openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
            responses={200: {"description": "The report of a dry run (`dry_run=true`): nothing was listed"},
                       **error_responses(
                           (BadRequest, "Not a CSV file (text/csv) nor a form upload with a file part"),
                           PayloadTooLarge, NOT_YOURS, NO_SHOP, SHOP_CLOSED, CHANNEL,
                           (Unprocessable, "No row could be imported; `detail` has the report"))})
async def import_products(shop_id: str, request: Request, user: Writer, redis: RedisDep, producer: ProducerDep,
                          settings: CatalogSettingsDep, once: Idempotency,
                          channel: Channel = "WEB", dry_run: bool = False) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.import_max_bytes:
        raise PayloadTooLarge(f"die Datei ist größer als {settings.import_max_bytes} Bytes (file too large)")
    body = await request.body()
    if len(body) > settings.import_max_bytes:
        raise PayloadTooLarge(f"die Datei ist größer als {settings.import_max_bytes} Bytes (file too large)")
    data = csv_payload(request, body)

    async def run() -> JSONResponse:
        report = await commands.import_products(redis, producer, user, shop_id, data, channel, dry_run=dry_run,
                                                max_rows=settings.import_max_rows)
        return JSONResponse(report, status_code=200 if dry_run else 202)
    return await once(run, status_code=202)


@shops.get("/{shop_id}/products.csv", summary="The shop's product list as a CSV file to edit and import again",
          response_class=Response,
          responses={200: {"description": "`;`-separated, UTF-8 with BOM, German headers; formulas defused",
                           "content": {"text/csv": {"schema": {"type": "string"}}}},
                     **error_responses(NOT_YOURS, NO_SHOP)})
async def export_products(shop_id: str, user: Writer, redis: RedisDep) -> Response:
    actor_for_shop(user, shop_id)  # a shop exports its own list; staff any
    rows = found_or_404(await queries.shop_product_list(redis, shop_id),
                        f"Laden {shop_id} ist nicht bekannt (no shop {shop_id})")
    filename = "produkte-" + "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in shop_id)
    return Response(product_list_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


# -- products ---------------------------------------------------------------------------------
products = APIRouter(prefix="/v1/products", tags=["products"])


def _no_product(product_id: str) -> str:
    return f"Produkt {product_id} ist nicht bekannt (no product {product_id})"


@products.get("/search", summary="Goods across shops by text, category, municipality and distance",
              responses=error_responses((Unprocessable, "lat and lon come together; radius_km needs them and "
                                                        "has a maximum; limit has a maximum")))
async def search(redis: RedisDep, settings: CatalogSettingsDep,
                 q: Annotated[str | None, Query(max_length=200, description="Words, e.g. 'käse brot'")] = None,
                 category: Annotated[SearchCategory | None, Query(description=CATEGORY_HELP)] = None,
                 municipality: Annotated[str | None, Query(max_length=80)] = None,
                 lat: Annotated[float | None, Query(ge=-MAX_LATITUDE, le=MAX_LATITUDE)] = None,
                 lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
                 radius_km: Annotated[float | None, Query(gt=0)] = None,
                 limit: Annotated[int, Query(ge=1)] = 20) -> dict:
    query = queries.search_query(text=q, category=category, municipality=municipality, lat=lat, lon=lon,
                                 radius_km=radius_km, limit=limit, max_radius_km=settings.search_max_radius_km,
                                 max_results=settings.search_max_results)
    return {"query": query.as_body(), **await queries.search_products(redis, query)}


@products.get("/{product_id}", summary="A product with its shop and availability")
async def product_page(product_id: str, redis: RedisDep) -> dict:
    return found_or_404(await queries.product_page(redis, product_id), _no_product(product_id))


@products.get("/{product_id}/availability", summary="Units available and held for orders")
async def availability(product_id: str, redis: RedisDep) -> dict:
    return found_or_404(await queries.product_availability(redis, product_id), _no_product(product_id))


@products.patch("/{product_id}", summary="Change a listing (price, description, ...)", response_description=UNCHANGED,
                responses={**CHANGED, **error_responses(NOT_YOURS, NO_PRODUCT, DELISTED, CHANNEL,
                                                        (Unprocessable, "The listing breaks a rule"))})
async def update_product(product_id: str, body: UpdateProduct, user: Writer, redis: RedisDep,
                         producer: ProducerDep) -> Any:
    return accepted(await commands.update_product(redis, producer, user, product_id, body.changes(),
                                                  body.channel), ("product", product_id))


@products.post("/{product_id}/stock", status_code=202, summary="Set the counted stock or change it by units",
               responses=error_responses(NOT_YOURS, NO_PRODUCT, CHANNEL,
                                         (Conflict, "The product's stock is not set up yet; retry shortly")))
async def adjust_stock(product_id: str, body: AdjustStock, user: Writer, redis: RedisDep, producer: ProducerDep,
                       once: Idempotency) -> Any:
    async def run() -> JSONResponse:
        return accepted(await commands.adjust_stock(redis, producer, user, product_id, level=body.level,
                                                    delta=body.delta, reason=body.reason, note=body.note,
                                                    channel=body.channel))
    return await once(run, status_code=202)


@products.delete("/{product_id}", status_code=202, summary="Delist a product",
                 responses=error_responses(NOT_YOURS, NO_PRODUCT, (Conflict, "The product is delisted already"),
                                           CHANNEL))
async def delist_product(product_id: str, user: Writer, redis: RedisDep, producer: ProducerDep,
                         body: Annotated[DelistProduct | None, Body()] = None) -> Any:
    body = body or DelistProduct()
    return accepted(await commands.delist_product(redis, producer, user, product_id, body.reason, body.note,
                                                  body.channel))
