"""The WebSub callback that hubs call (``TAGWIRE_PUBLIC_URL`` + ``/websub/{feed}/{token}``):
GET verifies intent, POST delivers content. Thin, like every view: the ``websub`` stage
decides; a body is read only up to the fetch size cap."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from tagwire.store.reads import MAX_ID
from tagwire.web.views import engine_of, settings_of
from tagwire.websub.push import accept_push, find_subscriber
from tagwire.websub.verify import answer_verification

router = APIRouter(include_in_schema=False)
FeedId = Path(ge=1, lt=MAX_ID)
Token = Path(max_length=64)


@router.get("/websub/{feed_id}/{token}")
def verify_callback(request: Request, feed_id: int = FeedId, token: str = Token) -> Response:
    verdict = answer_verification(engine_of(request), feed_id, token, request.query_params)
    return PlainTextResponse(verdict.body, status_code=verdict.status)


@router.post("/websub/{feed_id}/{token}")
async def receive_push(request: Request, feed_id: int = FeedId, token: str = Token) -> Response:
    engine = engine_of(request)
    status, feed = await run_in_threadpool(find_subscriber, engine, feed_id, token)
    if feed is None:
        return Response(status_code=status)
    body = await read_capped_body(request, settings_of(request).max_body_bytes)
    if body is None:
        return Response(status_code=413)
    status = await accept_push(
        engine,
        request.app.state.push_inbox,
        feed,
        body,
        signature=request.headers.get("x-hub-signature"),
        content_type=request.headers.get("content-type", ""),
    )
    return Response(status_code=status)


async def read_capped_body(request: Request, cap: int) -> bytes | None:
    """The request body, or None as soon as it passes ``cap`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
