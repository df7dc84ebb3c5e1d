"""The savings chart's y-axis labels fit inside the SVG (issue 14: "59,152" read "9,152"), for small and large
balances: every label ends before the plot starts and begins after the SVG's left edge."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from portal.contributions.chart import label_width, savings_chart

SVG = "{http://www.w3.org/2000/svg}"


def series(top: str, months: int = 24):
    top = Decimal(top)
    return [
        {
            "period": datetime.date(2024 + (m // 12), m % 12 + 1, 1),
            "deposits": (top * (m + 1) / months).quantize(Decimal("0.01")),
            "share_capital": Decimal("20000.00").min(top),
        }
        for m in range(months)
    ]


def parsed(chart):
    html = render_to_string("portal/savings_chart.html", {"chart": chart})
    svg = html.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(svg)  # noqa: S314 - our own template's output, not untrusted data


@pytest.mark.parametrize("top", ["59152.40", "1259152.00", "999.00", "123456789.00"])
def test_every_y_label_fits_between_the_edge_and_the_plot(top):
    chart = savings_chart(series(top))
    svg = parsed(chart)
    width = float(svg.get("viewBox").split()[2])
    plot_left = float(chart.plot_left)
    labels = [t for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert len(labels) == 5 and labels[-1].text == f"{Decimal(top):,.0f}"
    for text in labels:
        right = float(text.get("x"))
        assert right - float(label_width(text.text)) >= 0, f"{text.text} starts left of the SVG"
        assert right < plot_left
    for line in svg.iter(f"{SVG}line"):
        assert float(line.get("x1")) == plot_left and float(line.get("x2")) <= width
    for polyline in svg.iter(f"{SVG}polyline"):
        xs = [float(p.split(",")[0]) for p in polyline.get("points").split()]
        assert min(xs) == plot_left and max(xs) <= width


def test_month_labels_stay_inside_and_below_the_plot():
    chart = savings_chart(series("59152.40"))
    svg = parsed(chart)
    months = [t for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert months
    for text in months:
        half = float(label_width(text.text)) / 2
        assert float(text.get("x")) - half >= 0 and float(text.get("x")) + half <= chart.width
        assert float(text.get("y")) <= chart.height


def test_no_chart_without_savings():
    assert savings_chart([]) is None
    assert savings_chart(series("0")) is None
