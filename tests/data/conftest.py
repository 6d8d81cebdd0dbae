"""Fixtures for the data tests: an isolated data home and a local HTTP server."""
import http.server
import socket
import threading

import pytest

from minigrad.data import FashionMNIST

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path, monkeypatch):
    """Never read or write the user's cache or the system's real datasets."""
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "data_home"))
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())


class _Handler(http.server.BaseHTTPRequestHandler):
    timeout = 5  # a stuck client cannot hold a server thread for long

    def do_GET(self):
        self.server.requested.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        body, drop = route
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # drop: send half of the body, then close the connection (HTTP/1.0 closes after each reply)
        self.wfile.write(body[: len(body) // 2] if drop else body)

    def log_message(self, *args):
        pass


class LocalServer:
    """Serves ``routes`` (path -> (bytes, drop_half_way)) on 127.0.0.1."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}
        self.httpd.requested = []
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def routes(self):
        return self.httpd.routes

    @property
    def requested(self):
        return self.httpd.requested

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def no_proxy(monkeypatch):
    """Connections to 127.0.0.1 go straight there, whatever proxy the environment sets."""
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server(no_proxy):
    """A local HTTP server, stopped after the test."""
    srv = LocalServer()
    yield srv
    srv.stop()


@pytest.fixture
def closed_port_url(no_proxy):
    """A URL on 127.0.0.1 where nothing listens: connections are refused, as offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
