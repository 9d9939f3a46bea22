"""urllib downloads with a bound on the server's silence and a progress report, for fetch_openml.

scikit-learn's fetch_openml calls urllib's urlopen without a timeout, retries each request,
and after most failures deletes its file and repeats the whole request: a silent server held
a user 167 s. Inside `with BoundedDownloads(...)`, every urlopen of the process goes through
an opener that

- ends the download once the server has been silent for `stall` seconds in all (a watchdog
  thread shuts the open sockets down; later connections are refused at once, so retries
  fail fast instead of waiting again); data arriving, however slowly, is not silence;
- reports the data file's bytes to a logger (DEBUG records with a `progress` attribute
  (done, total)), and one INFO line when it is complete (with `timer` set: what follows
  takes a while; a command line may show the seconds passing);
- sends requests for `official` (OpenML's address in scikit-learn) to `server` instead,
  which is how tests reach a local server without touching scikit-learn.
"""

import contextlib
import http.client
import logging
import socket
import threading
import time
import urllib.error
import urllib.request

API_PATH = "/api/v1/json/"  # OpenML's small JSON answers; anything else is the data file
PROGRESS_INTERVAL = 0.1  # seconds between progress records


def call_within(seconds: float, function, *args):
    """function(*args), or TimeoutError after `seconds`: for calls that take no timeout
    themselves (a name lookup can hang far longer). A late call finishes unobserved."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as err:  # handed to the caller, never printed by the thread
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class BoundedDownloads:
    """Context manager: urllib's global opener bounded by silence, with progress (see module doc).

    After the block, `stalled` says whether the watchdog ended it, `cut_short` whether a body
    ended before its Content-Length, `last_url` is the last URL requested and `data_url` the
    data file's.
    """

    def __init__(self, stall: float, official: str, server: str, log: logging.Logger) -> None:
        self.stall = stall
        self.official, self.server = official, server
        self.log = log
        self.stalled = False
        self.last_url: str | None = None
        self.data_url: str | None = None
        self.cut_short: str | None = None  # "12,345 of 24,690 bytes" when a body ended early
        self.data_done: float | None = None  # time.monotonic() when the data file was complete
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._last_sign = time.monotonic()  # when the server last showed a sign of life
        self._waiting = False  # a request is under way: the clock of silence runs (from the first one)
        self._finished = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="download-watchdog", daemon=True)
        self._previous_opener = None

    def __enter__(self) -> "BoundedDownloads":
        self._previous_opener = urllib.request._opener  # restored on exit; urllib has no getter
        handler, processor = _Handler(self), _Processor(self)
        urllib.request.install_opener(urllib.request.build_opener(handler, processor))
        self._watchdog.start()
        return self

    def __exit__(self, *exc) -> None:
        urllib.request.install_opener(self._previous_opener)
        self._finished.set()
        self._watchdog.join()
        self._sockets.clear()

    # ------------------------------------------------------------------ the clock of silence

    def _watch(self) -> None:
        while not self._finished.wait(min(0.1, self.stall / 10)):
            with self._lock:
                silent = self._waiting and time.monotonic() - self._last_sign >= self.stall
                if not silent or self.stalled:
                    continue
                self.stalled = True
                sockets = list(self._sockets)
            for sock in sockets:  # wakes a blocked read in the downloading thread
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def sign_of_life(self) -> None:
        with self._lock:
            self._last_sign = time.monotonic()

    def idle(self) -> None:
        """A response was read to its end or closed: until the next request, nobody waits for
        the server, so the time scikit-learn spends checking and parsing is not silence."""
        with self._lock:
            self._waiting = False

    def connect_timeout(self) -> float:
        """The time a new connection may take: what is left of the silence allowed. Raises
        URLError at once when the download has already stalled, so retries end fast."""
        with self._lock:
            if self.stalled:
                raise urllib.error.URLError(f"abandoned after {self.stall:g} s without data")
            if not self._waiting:  # the first request after an idle time starts a new wait
                self._waiting, self._last_sign = True, time.monotonic()
            return max(0.01, self._last_sign + self.stall - time.monotonic())

    def track(self, sock: socket.socket) -> None:
        """A connected socket, for the watchdog to shut down. Reads on it wait up to twice
        the stall bound: the watchdog, not a socket timeout, decides when silence is too long."""
        sock.settimeout(2 * self.stall)
        with self._lock:
            self._sockets.append(sock)
            stalled = self.stalled
        if stalled:  # connected just as the watchdog fired
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _BoundedConnection:
    """An http.client connection whose connect and reads are bounded by a BoundedDownloads."""

    def __init__(self, *args, downloads: BoundedDownloads, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.downloads = downloads
        self._create_connection = self._bounded_create_connection

    def _bounded_create_connection(self, address, timeout, source_address=None) -> socket.socket:
        """socket.create_connection, with the name lookup bounded too."""
        deadline = time.monotonic() + timeout
        infos = call_within(timeout, socket.getaddrinfo, *address, 0, socket.SOCK_STREAM)
        error: OSError = OSError(f"no address for {address[0]}")
        for *_, sockaddr in infos:
            try:
                return socket.create_connection(sockaddr[:2], max(0.01, deadline - time.monotonic()), source_address)
            except OSError as err:
                error = err
        raise error

    def connect(self) -> None:
        self.timeout = self.downloads.connect_timeout()  # bounds the TCP connect and the TLS handshake
        super().connect()
        self.downloads.track(self.sock)


class _HTTPConnection(_BoundedConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_BoundedConnection, http.client.HTTPSConnection):
    pass


class _Handler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens http and https URLs through the bounded connections."""

    def __init__(self, downloads: BoundedDownloads) -> None:
        super().__init__()
        self.downloads = downloads

    def http_open(self, req: urllib.request.Request):
        return self.do_open(_HTTPConnection, req, downloads=self.downloads)

    def https_open(self, req: urllib.request.Request):
        return self.do_open(_HTTPSConnection, req, context=self._context, downloads=self.downloads)


class _Processor(urllib.request.BaseHandler):
    """Sends OpenML's requests to the configured server; watches every response."""

    handler_order = 100  # before urllib sets the Host header (500) and turns errors into HTTPError (1000)

    def __init__(self, downloads: BoundedDownloads) -> None:
        self.downloads = downloads

    def _request(self, req: urllib.request.Request) -> urllib.request.Request:
        downloads = self.downloads
        if downloads.server != downloads.official and req.full_url.startswith(downloads.official + "/"):
            req.full_url = downloads.server + req.full_url[len(downloads.official) :]
        downloads.last_url = req.full_url
        if API_PATH not in req.full_url:
            downloads.data_url = req.full_url
        return req

    def _response(self, req: urllib.request.Request, response):
        self.downloads.sign_of_life()
        return _WatchedResponse(response, self.downloads, is_data=API_PATH not in req.full_url)

    http_request = https_request = _request
    http_response = https_response = _response


class _WatchedResponse:
    """An HTTP response whose reads count as signs of life and, for the data file, as progress."""

    def __init__(self, response, downloads: BoundedDownloads, is_data: bool) -> None:
        self._response = response
        self._downloads = downloads
        self._is_data = is_data
        length = response.headers.get("Content-Length", "")
        self._total = int(length) if length.isdigit() else None
        self._done = 0
        self._started = self._reported = time.monotonic()

    def __getattr__(self, name: str):
        return getattr(self._response, name)

    def read(self, amount: int | None = None) -> bytes:
        """Up to `amount` bytes, returning as soon as some arrive (one receive, read1): a
        buffered read of 64 KB would wait through many arrivals and hide them from the clock."""
        if amount is None or amount < 0:
            return b"".join(iter(lambda: self.read(1 << 16), b""))
        if amount == 0:
            return b""
        data = self._response.read1(amount)
        downloads = self._downloads
        if not data:  # the end, or a connection closed early: http.client does not raise for that
            downloads.idle()
            if self._total is not None and self._done < self._total:
                downloads.cut_short = f"{self._done:,} of {self._total:,} bytes"
            elif self._is_data and not downloads.stalled:
                self._report(final=True)
            return data
        downloads.sign_of_life()
        self._done += len(data)
        if self._is_data and time.monotonic() - self._reported >= PROGRESS_INTERVAL:
            self._report(final=False)
        return data

    def _report(self, final: bool) -> None:
        self._reported = time.monotonic()
        log = self._downloads.log
        log.debug("%d bytes received", self._done, extra={"progress": (self._done, self._total)})
        if final:
            self._downloads.data_done = self._reported
            seconds = self._reported - self._started
            log.info(
                "received %.1f MB in %.1f s; scikit-learn now checks and converts it",
                self._done / 1e6,
                seconds,
                extra={"timer": True},
            )
            self._is_data = False  # one final report, even if read again at the end

    def close(self) -> None:
        self._downloads.idle()
        self._response.close()
