"""A savings chart drawn as inline SVG on the server: readable without JavaScript, and computed in Decimal
(coordinates are formatted from Decimal; no money value passes through float)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WIDTH = Decimal("600")
HEIGHT = Decimal("220")
PAD = Decimal("40")


@dataclass(frozen=True)
class SavingsChart:
    width: int
    height: int
    deposits_points: str
    share_points: str
    y_labels: list  # (y, label)
    x_labels: list  # (x, label)
    maximum: Decimal


def _coord(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def savings_chart(series: list[dict]) -> SavingsChart | None:
    if not series:
        return None
    maximum = max(max(point["deposits"], point["share_capital"]) for point in series)
    if maximum <= 0:
        return None
    plot_w = WIDTH - 2 * PAD
    plot_h = HEIGHT - 2 * PAD
    steps = Decimal(max(len(series) - 1, 1))

    def x(i):
        return PAD + plot_w * Decimal(i) / steps

    def y(value):
        return HEIGHT - PAD - plot_h * value / maximum

    def points(key):
        return " ".join(f"{_coord(x(i))},{_coord(y(p[key]))}" for i, p in enumerate(series))

    y_labels = [(_coord(y(maximum * Decimal(k) / 4)), f"{(maximum * Decimal(k) / 4):,.0f}") for k in range(5)]
    every = max(len(series) // 6, 1)
    x_labels = [(_coord(x(i)), p["period"].strftime("%b %y")) for i, p in enumerate(series) if i % every == 0]
    return SavingsChart(
        int(WIDTH), int(HEIGHT), points("deposits"), points("share_capital"), y_labels, x_labels, maximum
    )
