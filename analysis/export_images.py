"""Chart images: Vega-Lite specs drawn to PNG or SVG by vl-convert (no browser, no network), one file per chart."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import vl_convert as vlc

from analysis.export_charts import ChartSpec, iter_specs
from analysis.export_report import WorkshopReport

IMAGE_WIDTH = 820
PNG_SCALE = 2
IMAGE_FORMATS = ("png", "svg")


def render_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    """A PNG of the spec at `scale` × its CSS size, crisp on a projector and in print."""
    return vlc.vegalite_to_png(spec, scale=scale)


def render_svg(spec: dict[str, Any]) -> str:
    return vlc.vegalite_to_svg(spec)


class Renderer:
    """Draws charts on one background thread while the caller fetches the next chart's results.

    vl-convert releases the GIL while it draws, so drawing one chart and querying DuckDB and
    building the next spec run side by side; a warm-up drawing starts its JavaScript engine at once.
    """

    def __enter__(self) -> Renderer:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vl-convert")
        self._pool.submit(
            vlc.vegalite_to_svg,
            {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        )
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def png(self, spec: dict[str, Any]) -> Future[bytes]:
        return self._pool.submit(render_png, spec)

    def svg(self, spec: dict[str, Any]) -> Future[str]:
        return self._pool.submit(render_svg, spec)


def write_images(
    report: WorkshopReport, out_dir: Path, fmt: str, progress: Callable[[float, str], None] | None = None
) -> tuple[list[Path], list[ChartSpec]]:
    """Each chart alone as `NN_name.png|svg` in `out_dir`, titled with its scope, plus README.txt naming them.

    The README is always written, so an export of a scope with nothing to show is still a folder that
    says so instead of an unexplained empty one.
    """
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, got '{fmt}'")
    out_dir.mkdir(parents=True, exist_ok=True)
    specs: list[ChartSpec] = []
    drawings: list[Future[bytes] | Future[str]] = []
    with Renderer() as renderer:
        if report.population_shown:
            for chart in iter_specs(report, IMAGE_WIDTH, titled=True):
                specs.append(chart)
                drawings.append(renderer.png(chart.spec) if fmt == "png" else renderer.svg(chart.spec))
                if progress:
                    progress(0.5 * len(specs) / (len(specs) + 4), chart.name)
        files: list[Path] = []
        for i, (chart, drawing) in enumerate(zip(specs, drawings, strict=True), start=1):
            path = out_dir / f"{i:02d}_{chart.name}.{fmt}"
            image = drawing.result()
            if isinstance(image, bytes):
                path.write_bytes(image)
            else:
                path.write_text(image, encoding="utf-8")
            files.append(path)
            if progress:
                progress(0.5 + 0.5 * i / (len(specs) + 1), chart.name)
    readme = out_dir / "README.txt"
    lines = [f"{report.campaign.name}", report.scope_text(), ""]
    lines += [f"{p.name}: {c.title}" for p, c in zip(files, specs, strict=True)]
    notes = report.notes()
    if notes:
        lines += ["", *notes]
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files.append(readme)
    return files, specs
