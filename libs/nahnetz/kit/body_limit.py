"""A ceiling on request bodies, so a 20 MB JSON document is refused before
anything parses it whole.

The ASGI `receive` is wrapped: a declared `Content-Length` over the limit, or
streamed chunks adding up past it, raise a 413 that the kit's error handlers
answer like every other refusal (`{"error": "request_entity_too_large", ...}`).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Every JSON body of the APIs is a few kilobytes; a basket of 200 lines stays far below.
DEFAULT_MAX_BODY_BYTES = 256 * 1024


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        too_large = declared.isdigit() and int(declared) > self.max_bytes
        received = 0

        async def limited() -> Message:
            nonlocal received
            if too_large:
                raise self._refusal()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._refusal()
            return message

        await self.app(scope, limited, send)

    def _refusal(self) -> HTTPException:
        return HTTPException(413, f"the request body is larger than {self.max_bytes} bytes")
