"""A small report writer: the same blocks rendered as Markdown and as standalone HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["Report"]


def _markdown_table(frame: pd.DataFrame) -> str:
    header = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in frame.iterrows():
        cells = [str(index)] + [f"{v:.6g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass
class Report:
    """Blocks of a report (headings, text, figures, tables, preformatted text).

    Parameters
    ----------
    title : str
        Title of the report.
    directory : pathlib.Path
        Where ``report.md``, ``report.html`` and the figures are written.
    """

    title: str
    directory: Path
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", (level, text)))

    def text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def preformatted(self, text: str) -> None:
        self.blocks.append(("pre", text))

    def table(self, frame: pd.DataFrame) -> None:
        self.blocks.append(("table", frame))

    def figure(self, fig, name: str, caption: str) -> Path:  # noqa: ANN001
        """Save a matplotlib figure as ``name``.png next to the report and reference it."""
        import matplotlib.pyplot as plt

        path = self.directory / f"{name}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        self.blocks.append(("figure", (path.name, caption)))
        return path

    def write(self) -> tuple[Path, Path]:
        """Write ``report.md`` and ``report.html``; return their paths."""
        markdown = [f"# {self.title}", ""]
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for kind, content in self.blocks:
            if kind == "heading":
                level, text = content
                markdown += ["#" * level + " " + text, ""]
                body.append(f"<h{level}>{html.escape(text)}</h{level}>")
            elif kind == "text":
                markdown += [content, ""]
                body.append(f"<p>{html.escape(content)}</p>")
            elif kind == "pre":
                markdown += ["```", content, "```", ""]
                body.append(f"<pre>{html.escape(content)}</pre>")
            elif kind == "table":
                markdown += [_markdown_table(content), ""]
                body.append(content.to_html(float_format=lambda v: f"{v:.6g}", border=0))
            elif kind == "figure":
                name, caption = content
                markdown += [f"![{caption}]({name})", "", f"*{caption}*", ""]
                body.append(
                    f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>"
                )
        md_path = self.directory / "report.md"
        html_path = self.directory / "report.html"
        md_path.write_text("\n".join(markdown))
        html_path.write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>"
            "body{font-family:sans-serif;max-width:980px;margin:2em auto;line-height:1.45;"
            "color:#222}"
            "img{max-width:100%}figure{margin:1em 0}figcaption{font-size:90%;color:#555}"
            "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
            "pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere}"
            "</style></head><body>" + "\n".join(body) + "</body></html>"
        )
        return md_path, html_path
