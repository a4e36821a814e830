"""Authentication before bodies, and size limits while they stream: a request without valid
credentials is refused from its headers alone, and a body past its limit is cut off with 413
as soon as it passes it, whatever the request says of its length."""

import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from ftz.config import get_settings
from tests.api.conftest import World, login
from tests.helpers import serving

BOUNDARY = "ftzboundary"
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[tuple[str, int]]:
    with serving(world.app) as url:
        parts = urlsplit(url)
        yield parts.hostname, parts.port


@pytest.fixture
def small_uploads(monkeypatch) -> Iterator[int]:
    """Uploads limited to 256 KiB for this test."""
    monkeypatch.setenv("FTZ_UPLOAD_MAX_BYTES", str(256 * 1024))
    get_settings.cache_clear()
    yield 256 * 1024
    get_settings.cache_clear()


def send(address: tuple[str, int], path: str, headers: dict[str, str], most: int) -> tuple[bytes, int]:
    """POST a multipart file of endless bytes, ``CHUNK`` at a time, until the server answers or
    ``most`` bytes are sent; the answer's head, and how many body bytes had been sent."""
    chunked = "content-length" not in {k.lower() for k in headers}
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    preamble = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n").encode()  # fmt: skip
    sent = 0
    with socket.create_connection(address, timeout=30) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"{head}\r\n".encode()
        )
        while sent < most:
            if select.select([conn], [], [], 0.05)[0]:
                break  # the server answered: stop sending
            data = preamble if sent == 0 else b"x" * CHUNK
            try:
                conn.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(data)
        conn.settimeout(30)
        answer = b""
        while b"\r\n\r\n" not in answer:
            got = conn.recv(65536)
            if not got:
                break
            answer += got
    return answer.split(b"\r\n\r\n")[0], sent


@pytest.mark.parametrize(
    "path, refused",
    [("/api/v1/discrepancies/1/answers", b"401"), ("/api/v1/uploads/movements", b"401"), ("/uploads", b"303")],
)
def test_an_anonymous_large_post_is_refused_before_its_body_is_read(server, path: str, refused: bytes):
    announced = {"Content-Length": str(150 * 1024**2)}
    head, sent = send(server, path, announced, most=16 * 1024**2)
    assert head.split(b" ")[1] == refused, head
    assert b"connection: close" in head.lower()  # the server does not read the rest either
    assert sent <= 4 * CHUNK  # answered from the headers, not after the body


def test_an_anonymous_post_with_a_chunked_body_is_refused_before_it_is_read(server):
    head, sent = send(server, "/uploads", {}, most=16 * 1024**2)
    assert head.startswith(b"HTTP/1.1 303") and b"location: /login" in head.lower()
    assert sent <= 4 * CHUNK


def test_a_forged_or_revoked_credential_is_refused_before_the_body(server, world: World):
    for authorization in ["Bearer ftz_forged", f"Bearer {world.tokens['revoked']}", "Basic YWRtaW46YWRtaW4="]:
        headers = {"Content-Length": str(150 * 1024**2), "Authorization": authorization}
        head, sent = send(server, "/api/v1/discrepancies/1/answers", headers, most=16 * 1024**2)
        assert head.startswith(b"HTTP/1.1 401") and sent <= 4 * CHUNK, (authorization, head)


def test_a_cookie_without_its_csrf_header_is_refused_before_the_body(server, world: World):
    with TestClient(world.app) as client:
        login(client, "op.alpha")
        cookie = f"ftz_session={client.cookies['ftz_session']}"
    headers = {"Content-Length": str(150 * 1024**2), "Cookie": cookie}
    head, sent = send(
        server, f"/api/v1/discrepancies/{world.discrepancies['ALPHA1']}/answers", headers, most=16 * 1024**2
    )
    assert head.startswith(b"HTTP/1.1 403") and sent <= 4 * CHUNK


@pytest.mark.parametrize("path", ["/api/v1/uploads/movements", "/api/v1/discrepancies/1/answers"])
def test_a_chunked_body_past_the_upload_limit_is_cut_off_as_it_streams(server, world: World, small_uploads, path):
    token = {"Authorization": f"Bearer {world.tokens['alpha.movements']}"}
    head, sent = send(server, path, token, most=32 * 1024**2)
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"connection: close" in head.lower()
    # answered once the limit was passed, not after the 32 MB
    assert sent <= small_uploads + 16 * CHUNK


def test_a_form_or_json_body_is_limited_well_below_an_upload(world: World, client: TestClient):
    big = {"name": "aud.a", "password": "x" * (2 * 1024**2)}
    refused = client.post("/api/v1/session", json=big)
    assert refused.status_code == 413 and refused.json()["title"] == "Too large"
    assert client.post("/login", data=big).status_code == 413
