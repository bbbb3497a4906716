"""Drawing Vega-Lite specs to PNG or SVG with vl-convert (no browser, no network), on a background thread."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import vl_convert as vlc

PNG_SCALE = 2
_WARM_UP = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}


def render_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    """A PNG of the spec at `scale` × its CSS size, crisp on a projector and in print."""
    return vlc.vegalite_to_png(spec, scale=scale)


def render_svg(spec: dict[str, Any]) -> str:
    return vlc.vegalite_to_svg(spec)


class Renderer:
    """Draws charts on one background thread while the caller fetches the next chart's results.

    vl-convert releases the GIL while it draws, so drawing one chart and querying DuckDB and
    building the next spec run side by side. Entering starts vl-convert's JavaScript engine with a
    warm-up drawing at once, so that start-up overlaps with loading the analysis modules.
    """

    def __enter__(self) -> Renderer:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vl-convert")
        self._pool.submit(vlc.vegalite_to_svg, _WARM_UP)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def png(self, spec: dict[str, Any]) -> Future[bytes]:
        return self._pool.submit(render_png, spec)

    def svg(self, spec: dict[str, Any]) -> Future[str]:
        return self._pool.submit(render_svg, spec)
