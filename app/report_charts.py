"""Charts of the learning report, as PNG files, for people who would rather look than read.

matplotlib with the Agg backend: no display needed, safe on a server.
"""

from __future__ import annotations

from pathlib import Path

from activities.reports import PILOT_TYPE, TARGET_GROUP, GroupReport, LearningReport
from domain.value_domains import DOMAIN_LABELS_DA, DOMAINS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _domain_bars(rows: list[GroupReport], title: str, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(rows) + 3), 4.5))
    width = 0.8 / len(DOMAINS)
    for i, name in enumerate(DOMAINS):
        means = [row.domain(name).mean for row in rows]
        xs = [j + (i - (len(DOMAINS) - 1) / 2) * width for j in range(len(rows))]
        ax.bar(xs, [m if m is not None else 0 for m in means], width, label=DOMAIN_LABELS_DA[name])
    ax.axhline(50, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(len(rows)), [f"{row.group}\n(n={row.evaluated})" for row in rows], fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("score 0-100 (50 = uændret)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _before_after(
    rows: list[GroupReport], before: str, after: str, title: str, limits: tuple[int, int], path: Path
) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(rows) + 3), 4.5))
    data, positions, colours = [], [], []
    for j, row in enumerate(rows):
        for k, (values, colour) in enumerate(((getattr(row, before), "#9ecae1"), (getattr(row, after), "#3182bd"))):
            data.append(values or [float("nan")])
            positions.append(j * 3 + k)
            colours.append(colour)
    boxes = ax.boxplot(data, positions=positions, widths=0.8, patch_artist=True)
    for patch, colour in zip(boxes["boxes"], colours, strict=True):
        patch.set_facecolor(colour)
    for values, x, colour in zip(
        data, positions, colours, strict=True
    ):  # the cases themselves, so a small group is seen too
        ax.scatter([x] * len(values), values, color=colour, edgecolor="black", zorder=3, s=18)
    ax.set_xticks([j * 3 + 0.5 for j in range(len(rows))], [row.group for row in rows], fontsize=8)
    ax.set_ylim(*limits)
    ax.set_title(f"{title}: før (lys) og efter (mørk)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_charts(report: LearningReport, directory: Path) -> list[Path]:
    """Writes the report's charts into ``directory`` and returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    everyone = [report.total]
    return [
        _domain_bars(
            everyone + report.by(TARGET_GROUP),
            "Værdidomæner pr. målgruppe",
            directory / "value_domains_by_target_group.png",
        ),
        _domain_bars(
            everyone + report.by(PILOT_TYPE),
            "Værdidomæner pr. pilottype",
            directory / "value_domains_by_pilot_type.png",
        ),
        _before_after(
            everyone + report.by(TARGET_GROUP),
            "wemwbs_before",
            "wemwbs_after",
            "WEMWBS (14-70)",
            (14, 70),
            directory / "wemwbs_before_after.png",
        ),
        _before_after(
            everyone + report.by(TARGET_GROUP),
            "self_determination_before",
            "self_determination_after",
            "Selvbestemmelse SB-6 (6-30)",
            (6, 30),
            directory / "self_determination_before_after.png",
        ),
    ]
