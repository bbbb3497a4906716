"""Chart images: Vega-Lite specs drawn to PNG or SVG by vl-convert (no browser, no network), one file per chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import vl_convert as vlc

from analysis.export_charts import ChartSpec, report_specs
from analysis.export_report import WorkshopReport

IMAGE_WIDTH = 820
PNG_SCALE = 2
IMAGE_FORMATS = ("png", "svg")


def render_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    """A PNG of the spec at `scale` × its CSS size, crisp on a projector and in print."""
    return vlc.vegalite_to_png(spec, scale=scale)


def render_svg(spec: dict[str, Any]) -> str:
    return vlc.vegalite_to_svg(spec)


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
    specs = report_specs(report, IMAGE_WIDTH, titled=True) if report.population_shown else []
    files: list[Path] = []
    for i, chart in enumerate(specs, start=1):
        if progress:
            progress(i / (len(specs) + 1), chart.name)
        path = out_dir / f"{i:02d}_{chart.name}.{fmt}"
        if fmt == "png":
            path.write_bytes(render_png(chart.spec))
        else:
            path.write_text(render_svg(chart.spec), encoding="utf-8")
        files.append(path)
    readme = out_dir / "README.txt"
    lines = [f"{report.campaign.name}", report.scope_text(), ""]
    lines += [f"{p.name}: {c.title}" for p, c in zip(files, specs, strict=True)]
    notes = report.notes()
    if notes:
        lines += ["", *notes]
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files.append(readme)
    return files, specs
