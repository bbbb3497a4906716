"""Chart images: Vega-Lite specs drawn to PNG or SVG by vl-convert (no browser, no network), one file per chart."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from analysis.export.charts import ChartSpec, iter_specs
from analysis.export.render import Drawing, Renderer
from analysis.export.report import WorkshopReport

IMAGE_WIDTH = 820
IMAGE_FORMATS = ("png", "svg")


def write_images(
    report: WorkshopReport,
    out_dir: Path,
    fmt: str,
    progress: Callable[[float, str], None] | None = None,
    renderer: Renderer | None = None,
) -> tuple[list[Path], list[ChartSpec]]:
    """Each chart alone as `NN_name.png|svg` in `out_dir`, titled with its scope, plus README.txt naming them.

    The README is always written, so an export of a scope with nothing to show is still a folder that
    says so instead of an unexplained empty one.
    """
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, got '{fmt}'")
    out_dir.mkdir(parents=True, exist_ok=True)
    specs: list[ChartSpec] = []
    drawings: list[Drawing[bytes] | Drawing[str]] = []
    with ExitStack() as stack:
        renderer = renderer or stack.enter_context(Renderer())
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
