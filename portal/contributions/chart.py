"""A savings chart drawn as inline SVG on the server: readable without JavaScript, and computed in Decimal
(coordinates are formatted from Decimal; no money value passes through float).

The left margin is as wide as the longest y-axis label needs, so "1,259,152" is never cut to "9,152": the
labels are right-aligned just left of the plot, and the plot starts after them."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WIDTH = Decimal("600")
HEIGHT = Decimal("220")
PAD = Decimal("40")  # top and bottom: room for the top label's half height and the month labels
PAD_RIGHT = Decimal("30")  # half of the last month label ("Nov 26") centred on the last point
FONT_SIZE = Decimal("14")  # the axis labels' size in user units (static/css/site.css .savings-chart .axis)
CHAR_WIDTH = FONT_SIZE * Decimal("0.62")  # a digit or comma in a sans-serif face is narrower than 0.62 em
LABEL_GAP = Decimal("6")  # between a y label's end and the plot
EDGE = Decimal("4")  # between the SVG's left edge and the longest label


@dataclass(frozen=True)
class SavingsChart:
    width: int
    height: int
    deposits_points: str
    share_points: str
    y_labels: list  # (y, label)
    x_labels: list  # (x, label)
    maximum: Decimal
    plot_left: str = "40"  # where the plot (and the grid lines) start; the y labels end LABEL_GAP before it
    plot_right: str = "560"
    label_x: str = "36"  # the y labels' right edge (text-anchor="end")
    x_label_y: str = "198"  # the month labels' baseline
    font_size: int = int(FONT_SIZE)


def _coord(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def label_width(label: str) -> Decimal:
    """A generous estimate of a label's width at FONT_SIZE (no font metrics on the server)."""
    return CHAR_WIDTH * len(label)


def savings_chart(series: list[dict]) -> SavingsChart | None:
    if not series:
        return None
    maximum = max(max(point["deposits"], point["share_capital"]) for point in series)
    if maximum <= 0:
        return None
    labels = [f"{(maximum * Decimal(k) / 4):,.0f}" for k in range(5)]
    left = EDGE + max(label_width(label) for label in labels) + LABEL_GAP
    plot_w = WIDTH - left - PAD_RIGHT
    plot_h = HEIGHT - 2 * PAD
    steps = Decimal(max(len(series) - 1, 1))

    def x(i):
        return left + plot_w * Decimal(i) / steps

    def y(value):
        return HEIGHT - PAD - plot_h * value / maximum

    def points(key):
        return " ".join(f"{_coord(x(i))},{_coord(y(p[key]))}" for i, p in enumerate(series))

    y_labels = [(_coord(y(maximum * Decimal(k) / 4)), label) for k, label in enumerate(labels)]
    every = max(len(series) // 6, 1)
    x_labels = [(_coord(x(i)), p["period"].strftime("%b %y")) for i, p in enumerate(series) if i % every == 0]
    return SavingsChart(
        int(WIDTH),
        int(HEIGHT),
        points("deposits"),
        points("share_capital"),
        y_labels,
        x_labels,
        maximum,
        plot_left=_coord(left),
        plot_right=_coord(WIDTH - PAD_RIGHT),
        label_x=_coord(left - LABEL_GAP),
        x_label_y=_coord(HEIGHT - PAD + FONT_SIZE + 8),
    )
