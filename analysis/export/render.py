"""Drawing Vega-Lite specs to PNG or SVG with vl-convert (no browser, no network), in a helper process.

`python -m analysis.export.render` is that helper: it reads one JSON request a line on stdin,
{"format": "png"|"svg", "spec": {...}}, and answers each, in order, with a JSON header line
{"ok": bool, "size": n} followed by n bytes (the image, or the error text).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

import vl_convert as vlc

PNG_SCALE = 2
HELPERS = 1
T = TypeVar("T")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_WARM_UP = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}


def render_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    """A PNG of the spec at `scale` × its CSS size, crisp on a projector and in print."""
    return vlc.vegalite_to_png(spec, scale=scale)


def render_svg(spec: dict[str, Any]) -> str:
    return vlc.vegalite_to_svg(spec)


def _render(fmt: str, spec: dict[str, Any]) -> bytes | str:
    return render_png(spec) if fmt == "png" else render_svg(spec)


class Drawing(Generic[T]):
    """A chart being drawn; `result()` waits for it, and draws it here if the helper could not."""

    def __init__(self, future: Future[T] | None, draw: Callable[[], T]) -> None:
        self._future = future
        self._draw = draw

    def result(self) -> T:
        if self._future is not None:
            try:
                return self._future.result()
            except (OSError, ValueError, RuntimeError):
                pass  # the helper is gone or failed on this chart: draw it here, where a real error surfaces
        return self._draw()


class _Helper:
    """One helper process and the two threads that feed it requests and collect its answers in order."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analysis.export.render"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.requests: queue.Queue[bytes | None] = queue.Queue()
        self.waiting: queue.Queue[tuple[Future[Any], str] | None] = queue.Queue()
        self.writer = threading.Thread(target=self._write, name="vl-convert-requests", daemon=True)
        self.reader = threading.Thread(target=self._read, name="vl-convert-answers", daemon=True)
        self.writer.start()
        self.reader.start()

    def send(self, fmt: str, spec: dict[str, Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self.waiting.put((future, fmt))
        self.requests.put(json.dumps({"format": fmt, "spec": spec}).encode("utf-8") + b"\n")
        return future

    def close(self, failed: bool) -> None:
        self.requests.put(None)
        self.waiting.put(None)
        self.writer.join(timeout=10)
        try:
            self.proc.wait(timeout=5 if failed else 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    def _write(self) -> None:
        stdin: IO[bytes] = self.proc.stdin  # type: ignore[assignment]
        while (request := self.requests.get()) is not None:
            try:
                stdin.write(request)
                stdin.flush()
            except (OSError, ValueError):
                break
        with suppress(OSError):
            stdin.close()

    def _read(self) -> None:
        stdout: IO[bytes] = self.proc.stdout  # type: ignore[assignment]
        while (waiting := self.waiting.get()) is not None:
            future, fmt = waiting
            header = stdout.readline()
            if not header:
                future.set_exception(OSError("the chart helper stopped"))
                continue
            meta = json.loads(header)
            data = stdout.read(int(meta["size"]))
            if meta["ok"]:
                future.set_result(data if fmt == "png" else data.decode("utf-8"))
            else:
                future.set_exception(RuntimeError(data.decode("utf-8", "replace")))


class Renderer:
    """Draws charts in helper processes while the caller fetches the next chart's results.

    vl-convert keeps the GIL while its JavaScript engine runs, so in a thread it stalls every DuckDB
    query with parameters until the drawing is done. Small helper processes (they import vl-convert
    only) draw on the other cores instead, charts handed out in turn; requests and answers flow
    through their pipes on threads, so neither side ever waits on a full pipe. Entering starts the
    helpers and their JavaScript engines at once. Where no helper can be started, each chart is
    drawn here when its result is asked for.
    """

    def __init__(self, helpers: int = HELPERS) -> None:
        self._count = helpers

    def __enter__(self) -> Renderer:
        self._helpers: list[_Helper] = []
        self._turn = 0
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        for _ in range(self._count):
            try:
                helper = _Helper(env)
            except OSError:
                break
            helper.send("svg", _WARM_UP)
            self._helpers.append(helper)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        for helper in self._helpers:
            helper.close(failed=error is not None)

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [h.proc for h in self._helpers]

    def _send(self, fmt: str, spec: dict[str, Any]) -> Future[Any] | None:
        if not self._helpers:
            return None
        self._turn = (self._turn + 1) % len(self._helpers)
        return self._helpers[self._turn].send(fmt, spec)

    def png(self, spec: dict[str, Any]) -> Drawing[bytes]:
        return Drawing(self._send("png", spec), lambda: render_png(spec))

    def svg(self, spec: dict[str, Any]) -> Drawing[str]:
        return Drawing(self._send("svg", spec), lambda: render_svg(spec))


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The helper's loop: one answer per request line, in order, until the input ends."""
    for line in requests:
        try:
            request = json.loads(line)
            image = _render(request["format"], request["spec"])
            data, ok = (image if isinstance(image, bytes) else image.encode("utf-8")), True
        except Exception as exc:  # every failure goes back to the caller, who draws the chart itself to see it
            data, ok = f"{type(exc).__name__}: {exc}".encode(), False
        answers.write(json.dumps({"ok": ok, "size": len(data)}).encode("utf-8") + b"\n")
        answers.write(data)
        answers.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
