//! Drawing a [`Chart`] with plotters, to SVG text or a PNG file. Text uses the bundled DejaVu Sans
//! (Vietnamese tone marks included), so nothing needs to be installed on the machine.
use std::path::Path;
use std::sync::Once;

use plotters::coord::ranged1d::Ranged;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::labels::{self, Mark};
use super::spec::{Chart, Kind, Point, XAxis};
use crate::error::{Error, Result};

/// DejaVu Sans, under the Bitstream Vera licence (`assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Series colours, distinct for colour-blind readers as far as ten can be.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

fn register_font() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut ok = true;
    ONCE.call_once(|| ok = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Internal("the bundled chart font could not be loaded".into()))
    }
}

/// A drawing failure (for a PNG, most likely its file could not be written).
fn failed<E: std::fmt::Debug>(e: E) -> Error {
    Error::io("the chart", "draw", std::io::Error::other(format!("{e:?}")))
}

/// Pixel size of the picture: taller for horizontal bars, so each category has room.
pub fn size(chart: &Chart) -> (u32, u32) {
    match (&chart.kind, &chart.x) {
        (Kind::Hbar, XAxis::Categories(c)) => (1000, (c.len() as u32 * 26 + 140).max(400)),
        _ => (1000, 560),
    }
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String> {
    register_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size(chart)).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(failed)?;
    }
    Ok(text)
}

/// Draw the chart as a PNG at `path` (the caller makes the write atomic).
pub fn png(chart: &Chart, path: &Path) -> Result<()> {
    register_font()?;
    let root = BitMapBackend::new(path, size(chart)).into_drawing_area();
    draw(chart, &root)?;
    root.present().map_err(failed)
}

fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> Result<()> {
    root.fill(&WHITE).map_err(failed)?;
    let qualified = chart.series.iter().flat_map(|s| &s.points).any(|p| p.mark != Mark::Exact);
    let (body, foot) = if qualified {
        root.split_vertically(root.dim_in_pixel().1 - 28)
    } else {
        (root.clone(), root.clone())
    };
    match chart.kind {
        Kind::Line => lines(chart, &body)?,
        Kind::Bar | Kind::Hbar => bars(chart, &body)?,
    }
    if qualified {
        let note = match chart.kind {
            Kind::Line => "Hollow marker: a bound or approximate figure (≥ at least, ≤ at most, ≈ about).",
            _ => "Pale bar: a bound or approximate figure (≥ at least, ≤ at most, ≈ about).",
        };
        foot.draw_text(note, &(FAMILY, 15).into_font().color(&BLACK.mix(0.75)), (70, 6)).map_err(failed)?;
    }
    Ok(())
}

/// The range of the values, widened to include 0 for bars and padded so nothing sits on the frame.
fn value_range(chart: &Chart, from_zero: bool) -> (f64, f64) {
    let values = chart.series.iter().flat_map(|s| &s.points).map(|p| p.y);
    let (mut lo, mut hi) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi <= lo {
        let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.08;
    let lo = if from_zero && lo >= 0.0 { 0.0 } else { lo - pad };
    (lo, hi + pad)
}

fn lines<DB: DrawingBackend>(chart: &Chart, area: &DrawingArea<DB, Shift>) -> Result<()> {
    let xs = chart.series.iter().flat_map(|s| &s.points).map(|p| p.x);
    let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((x1 - x0) * 0.03).max(1.0);
    (x0, x1) = (x0 - pad, x1 + pad);
    let (y0, y1) = value_range(chart, false);
    let span = x1 - x0;
    let (locale, percent) = (chart.locale, chart.percent);
    let y_step = (y1 - y0) / 10.0;
    let categories = match &chart.x {
        XAxis::Categories(names) => Some(names),
        XAxis::Days => None,
    };
    let x_format = |v: &f64| match categories {
        Some(names) => category_at(names, *v),
        None => labels::date_tick(*v, span),
    };
    let mut plot = ChartBuilder::on(area)
        .caption(&chart.title, (FAMILY, 26))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(failed)?;
    let x_labels = categories.map_or(8, |c| c.len().min(20));
    plot.configure_mesh()
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_labels(x_labels)
        .y_labels(10)
        .x_label_formatter(&x_format)
        .y_label_formatter(&|v| labels::tick(*v, y_step, locale, percent))
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(failed)?;
    for (i, series) in chart.series.iter().enumerate() {
        let c = colour(i);
        let line = plot
            .draw_series(LineSeries::new(series.points.iter().map(|p| (p.x, p.y)), c.stroke_width(2)))
            .map_err(failed)?;
        legend(line, &series.name, i);
        // Dense daily series get small markers, so the line stays readable.
        let radius = if series.points.len() > 60 { 2 } else { 4 };
        plot.draw_series(series.points.iter().map(|p| marker(p, c, radius))).map_err(failed)?;
    }
    series_legend(&mut plot, chart.series.len(), SeriesLabelPosition::UpperLeft)
}

/// A filled circle for an exact figure, a hollow one for a bound or an approximation.
fn marker(p: &Point, c: RGBColor, radius: u32) -> Circle<(f64, f64), u32> {
    let style = match p.mark {
        Mark::Exact => c.filled(),
        _ => c.stroke_width(2),
    };
    Circle::new((p.x, p.y), radius, style)
}

/// The category name at an axis position, or nothing between categories.
fn category_at(names: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

/// Where a (category position, value) pair lands in plot coordinates.
type Place = fn(f64, f64) -> (f64, f64);

fn bars<DB: DrawingBackend>(chart: &Chart, area: &DrawingArea<DB, Shift>) -> Result<()> {
    let names: &[String] = match &chart.x {
        XAxis::Categories(names) => names,
        XAxis::Days => &[],
    };
    let n = names.len().max(1);
    let (v0, v1) = value_range(chart, true);
    let (locale, percent) = (chart.locale, chart.percent);
    let v_step = (v1 - v0) / 10.0;
    let horizontal = chart.kind == Kind::Hbar;
    let cat_range = -0.5..(n as f64 - 0.5);
    let mut builder = ChartBuilder::on(area);
    builder.caption(&chart.title, (FAMILY, 26)).margin(16);
    let label_width = if horizontal { category_width(names) } else { 96 };
    builder.x_label_area_size(48).y_label_area_size(label_width);
    let value_format = |v: &f64| labels::tick(*v, v_step, locale, percent);
    // Horizontal bars put the first category at the top: the category axis runs downwards.
    let cat_format = |v: &f64| category_at(names, if horizontal { n as f64 - 1.0 - *v } else { *v });
    let series_count = chart.series.len();
    let width = 0.8 / series_count as f64;
    let mut rects = Vec::new();
    for (i, series) in chart.series.iter().enumerate() {
        for p in &series.points {
            let at = if horizontal { n as f64 - 1.0 - p.x } else { p.x };
            let start = at - 0.4 + width * i as f64;
            rects.push((i, start, start + width, p.y, p.mark));
        }
    }
    let label_size = if n * series_count <= 40 { 14 } else { 0 };
    // One plot either way; `at` turns (category position, value) into its coordinates.
    let (mut plot, at): (_, Place) = if horizontal {
        let mut plot = builder.build_cartesian_2d(v0..v1, cat_range).map_err(failed)?;
        let mut mesh = plot.configure_mesh();
        mesh.x_desc(&chart.y_label).x_labels(10).y_labels(n);
        mesh.x_label_formatter(&value_format).y_label_formatter(&cat_format).disable_y_mesh();
        mesh.label_style((FAMILY, 15)).axis_desc_style((FAMILY, 16)).light_line_style(WHITE.mix(0.0));
        mesh.draw().map_err(failed)?;
        (plot, |c, v| (v, c))
    } else {
        let mut plot = builder.build_cartesian_2d(cat_range, v0..v1).map_err(failed)?;
        let mut mesh = plot.configure_mesh();
        mesh.x_desc(&chart.x_label).y_desc(&chart.y_label).x_labels(n).y_labels(10);
        mesh.x_label_formatter(&cat_format).y_label_formatter(&value_format).disable_x_mesh();
        mesh.label_style((FAMILY, 15)).axis_desc_style((FAMILY, 16)).light_line_style(WHITE.mix(0.0));
        mesh.draw().map_err(failed)?;
        (plot, |c, v| (c, v))
    };
    // Value labels sit past the bar's end: to the right of a horizontal bar, above a vertical one.
    let (label_pos, label_shift) = if horizontal {
        (Pos::new(HPos::Left, VPos::Center), " ")
    } else {
        (Pos::new(HPos::Center, VPos::Bottom), "")
    };
    for (i, series) in chart.series.iter().enumerate() {
        let mine = rects.iter().filter(|r| r.0 == i);
        let drawn = plot
            .draw_series(
                mine.clone().map(|&(_, a, b, v, m)| Rectangle::new([at(a, 0.0), at(b, v)], bar_style(i, m))),
            )
            .map_err(failed)?;
        legend(drawn, &series.name, i);
        if label_size > 0 {
            let font = TextStyle::from((FAMILY, label_size).into_font()).pos(label_pos);
            plot.draw_series(mine.map(|&(_, a, b, v, m)| {
                let text = format!("{label_shift}{}", labels::value(v, locale, percent, m));
                Text::new(text, at((a + b) / 2.0, v), font.clone())
            }))
            .map_err(failed)?;
        }
    }
    series_legend(&mut plot, series_count, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

/// Solid for an exact figure, pale with an outline for a bound or an approximation.
fn bar_style(series: usize, mark: Mark) -> ShapeStyle {
    let c = colour(series);
    match mark {
        Mark::Exact => c.filled(),
        _ => c.mix(0.35).filled(),
    }
}

fn legend<DB: DrawingBackend>(drawn: &mut plotters::chart::SeriesAnno<'_, DB>, name: &str, i: usize) {
    if !name.is_empty() {
        let c = colour(i);
        drawn.label(name).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
    }
}

fn series_legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    plot: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    count: usize,
    position: SeriesLabelPosition,
) -> Result<()> {
    if count < 2 {
        return Ok(());
    }
    plot.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FAMILY, 15))
        .position(position)
        .draw()
        .map_err(failed)
}

/// Room for the longest category name on a horizontal bar chart, in pixels.
fn category_width(names: &[String]) -> u32 {
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(4) as u32;
    (longest * 8 + 16).clamp(60, 320)
}
