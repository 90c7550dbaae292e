//! Charts drawn on the server as SVG: horizontal bars (shares or counts, with an optional target
//! per bar), a monthly trend and the distribution of levels. No script, no external file.
//!
//! Each chart is a `<figure>` whose `<figcaption>` names it (the question it answers); the SVG
//! is `role="img"`, labelled by that caption, and a data `<table>` beside it (visually hidden,
//! `.visually-hidden` from style.css) gives every figure to screen readers. Everything that
//! matters is drawn with SVG presentation attributes, not classes, so a chart reads the same
//! without `charts.css` and under the Content-Security-Policy (no inline style): dark text on
//! white, a value printed beside every bar and a legend for the target marker, so no meaning
//! rests on colour alone and the chart prints in black and white. A `viewBox` with width 100 %
//! scales it from a 360 px phone to a laptop; `charts.css` caps its width on wide screens.
//!
//! A value withheld for privacy (`None`) gets no bar and the label "< 5", in the chart and in
//! the table.

use std::fmt::Write as _;

use maud::{Markup, html};

use crate::domain::Lang;
use crate::web::views::layout::{number, t};

/// One bar: a share in percent (0–100) or a count, depending on the chart's [`Scale`]. `target`
/// is in the same unit (a 0.8 share target is `Some(80.0)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    /// None: withheld (fewer than 5 firms).
    pub value: Option<f64>,
    pub target: Option<f64>,
}

/// One month of a trend, labelled as the page wants it shown ("01/2026").
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    /// None: withheld (fewer than 5 firms).
    pub value: Option<f64>,
}

/// How many firms reached one level.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelCount {
    pub level: u8,
    /// The level's name for the table ("Mức 2 – Khởi động").
    pub name: String,
    /// None: withheld (fewer than 5 firms).
    pub count: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Values are percentages; the axis runs from 0 to 100 %.
    Percent,
    /// Values are counts; the axis runs from 0 to a round number above the largest.
    Count,
}

/// The words around a chart.
#[derive(Debug, Clone, Copy)]
pub struct ChartText<'a> {
    /// Unique on the page; used for the element ids (`aria-labelledby`).
    pub id: &'a str,
    /// The question the chart answers ("Which barriers hold firms back?").
    pub caption: &'a str,
    /// Header of the table's first column ("Province").
    pub category: &'a str,
    /// Header of the value column ("Share of firms").
    pub value: &'a str,
}

/// What a withheld value shows.
pub const WITHHELD: &str = "< 5";

/// Width of every chart in viewBox units; at a 360 px phone one unit is about 0.8 px.
const WIDTH: f64 = 400.0;
const TEXT: &str = "#1b1b1b";
const MUTED: &str = "#505a5f";
const GRID: &str = "#b1b4b6";
const BAR: &str = "#0b5cad";
const FONT: f64 = 15.0;
const SMALL: f64 = 13.0;
/// The level colours of style.css (`--l0` … `--l5`), so a level looks the same everywhere.
const LEVEL_COLOURS: [&str; 6] = [
    "#b3261e", "#d4351c", "#b35900", "#806600", "#2e7d32", "#00703c",
];

/// Horizontal bars, one per row, each label above its bar and the value beside it; a black
/// vertical marker shows a bar's target.
pub fn bar_chart(lang: Lang, text: ChartText<'_>, scale: Scale, bars: &[Bar]) -> Markup {
    const LINE: f64 = 18.0;
    const BAR_HEIGHT: f64 = 16.0;
    const GAP: f64 = 12.0;
    // Room for "100%" or a count beside the longest bar.
    let track = WIDTH - 64.0;
    let axis = Axis::new(
        scale,
        bars.iter()
            .flat_map(|b| b.value.into_iter().chain(b.target)),
    );
    let x = |v: f64| axis.position(v) * track;

    let mut body = String::new();
    let mut y = 4.0;
    for bar in bars {
        for line in wrap(&bar.label, 46) {
            y += LINE;
            let _ = write!(
                body,
                r#"<text x="0" y="{y:.1}" font-size="{FONT}" fill="{TEXT}">{}</text>"#,
                escape(&line)
            );
        }
        let top = y + 6.0;
        match bar.value {
            Some(v) => {
                let w = x(v);
                let _ = write!(
                    body,
                    r#"<rect class="dx-bar" x="0" y="{top:.1}" width="{w:.1}" height="{BAR_HEIGHT}" fill="{BAR}"></rect><text x="{:.1}" y="{:.1}" font-size="{FONT}" font-weight="700" fill="{TEXT}">{}</text>"#,
                    w + 6.0,
                    top + 13.0,
                    escape(&axis.format(lang, v, 0)),
                );
            }
            None => {
                let _ = write!(
                    body,
                    r#"<text class="dx-withheld" x="0" y="{:.1}" font-size="{FONT}" fill="{MUTED}">{}</text>"#,
                    top + 13.0,
                    escape(WITHHELD),
                );
            }
        }
        if let Some(target) = bar.target {
            let tx = x(target);
            let _ = write!(
                body,
                r#"<line class="dx-target" x1="{tx:.1}" x2="{tx:.1}" y1="{:.1}" y2="{:.1}" stroke="{TEXT}" stroke-width="3"></line>"#,
                top - 4.0,
                top + BAR_HEIGHT + 4.0,
            );
        }
        y = top + BAR_HEIGHT + GAP;
    }
    let plot_bottom = y;
    let mut grid = String::new();
    for tick in axis.ticks() {
        let tx = x(tick);
        let _ = write!(
            grid,
            r#"<line x1="{tx:.1}" x2="{tx:.1}" y1="4" y2="{plot_bottom:.1}" stroke="{GRID}" stroke-width="1"></line><text class="dx-tick" x="{tx:.1}" y="{:.1}" font-size="{SMALL}" fill="{TEXT}" text-anchor="{}">{}</text>"#,
            plot_bottom + 18.0,
            if tick == 0.0 { "start" } else { "middle" },
            escape(&axis.format(lang, tick, 0)),
        );
    }
    let _ = write!(
        grid,
        r#"<line x1="0" x2="{track:.1}" y1="{plot_bottom:.1}" y2="{plot_bottom:.1}" stroke="{TEXT}" stroke-width="1"></line>"#
    );
    let height = plot_bottom + 26.0;
    let has_target = bars.iter().any(|b| b.target.is_some());
    let svg = svg(text, height, &format!("{grid}{body}"));
    html! {
        figure.dx-chart id=(element_id(text.id, "figure")) {
            figcaption id=(element_id(text.id, "caption")) { (text.caption) }
            (svg)
            @if has_target {
                p.dx-chart-legend {
                    (t(lang, "Vạch đen đứng: mục tiêu.", "Black upright line: the target."))
                }
            }
            table.table.visually-hidden {
                caption { (text.caption) }
                thead {
                    tr {
                        th scope="col" { (text.category) }
                        th.num scope="col" { (text.value) }
                        @if has_target { th.num scope="col" { (t(lang, "Mục tiêu", "Target")) } }
                    }
                }
                tbody {
                    @for bar in bars {
                        tr {
                            th scope="row" { (bar.label) }
                            td.num { (cell(lang, &axis, bar.value)) }
                            @if has_target {
                                td.num { @if let Some(target) = bar.target { (axis.format(lang, target, 1)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Vertical bars, one per month, oldest on the left; month labels are thinned so they never
/// overlap on a phone, while the table lists every month.
pub fn trend_chart(lang: Lang, text: ChartText<'_>, scale: Scale, points: &[Point]) -> Markup {
    let plot = Plot::new();
    let axis = Axis::new(scale, points.iter().filter_map(|p| p.value));
    let mut body = plot.y_axis(lang, &axis);
    let n = points.len().max(1) as f64;
    let band = plot.width() / n;
    // A label is about 7 characters of 7.5 units; show every `every`-th one.
    let widest = points
        .iter()
        .map(|p| p.label.chars().count())
        .max()
        .unwrap_or(0) as f64
        * 7.5
        + 6.0;
    let every = (widest / band).ceil().max(1.0) as usize;
    for (i, point) in points.iter().enumerate() {
        let left = plot.left + band * i as f64;
        let centre = left + band / 2.0;
        match point.value {
            Some(v) => {
                let h = axis.position(v) * plot.height;
                let _ = write!(
                    body,
                    r#"<rect class="dx-bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{BAR}"><title>{}: {}</title></rect>"#,
                    left + band * 0.15,
                    plot.bottom() - h,
                    band * 0.7,
                    escape(&point.label),
                    escape(&axis.format(lang, v, 0)),
                );
            }
            None => {
                // Upright, so it fits however narrow the month is.
                let bx = centre + SMALL / 3.0;
                let by = plot.bottom() - 4.0;
                let _ = write!(
                    body,
                    r#"<text class="dx-withheld" x="{bx:.1}" y="{by:.1}" font-size="{SMALL}" fill="{MUTED}" transform="rotate(-90 {bx:.1} {by:.1})">{}</text>"#,
                    escape(WITHHELD),
                );
            }
        }
        if i % every == 0 {
            let _ = write!(
                body,
                r#"<text class="dx-label" x="{centre:.1}" y="{:.1}" font-size="{SMALL}" fill="{TEXT}" text-anchor="middle">{}</text>"#,
                plot.bottom() + 18.0,
                escape(&point.label),
            );
        }
    }
    body.push_str(&plot.x_axis());
    let svg = svg(text, plot.total_height(), &body);
    html! {
        figure.dx-chart id=(element_id(text.id, "figure")) {
            figcaption id=(element_id(text.id, "caption")) { (text.caption) }
            (svg)
            (table(lang, text, &axis, points.iter().map(|p| (p.label.as_str(), p.value))))
        }
    }
}

/// One column per level, each in its level's colour and named under the axis ("Mức 3"), with
/// its count on top.
pub fn level_chart(lang: Lang, text: ChartText<'_>, levels: &[LevelCount]) -> Markup {
    let plot = Plot::new();
    let axis = Axis::new(Scale::Count, levels.iter().filter_map(|l| l.count));
    let mut body = plot.y_axis(lang, &axis);
    let band = plot.width() / levels.len().max(1) as f64;
    for (i, level) in levels.iter().enumerate() {
        let left = plot.left + band * i as f64;
        let centre = left + band / 2.0;
        match level.count {
            Some(c) => {
                let h = axis.position(c) * plot.height;
                let colour = LEVEL_COLOURS[usize::from(level.level).min(LEVEL_COLOURS.len() - 1)];
                let _ = write!(
                    body,
                    r#"<rect class="dx-bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{colour}" stroke="{TEXT}" stroke-width="1"></rect><text x="{centre:.1}" y="{:.1}" font-size="{SMALL}" font-weight="700" fill="{TEXT}" text-anchor="middle">{}</text>"#,
                    left + band * 0.15,
                    plot.bottom() - h,
                    band * 0.7,
                    plot.bottom() - h - 4.0,
                    escape(&axis.format(lang, c, 0)),
                );
            }
            None => {
                let _ = write!(
                    body,
                    r#"<text class="dx-withheld" x="{centre:.1}" y="{:.1}" font-size="{SMALL}" fill="{MUTED}" text-anchor="middle">{}</text>"#,
                    plot.bottom() - 4.0,
                    escape(WITHHELD),
                );
            }
        }
        let _ = write!(
            body,
            r#"<text class="dx-label" x="{centre:.1}" y="{:.1}" font-size="{SMALL}" fill="{TEXT}" text-anchor="middle">{}</text>"#,
            plot.bottom() + 18.0,
            escape(&format!("{} {}", t(lang, "Mức", "Level"), level.level)),
        );
    }
    body.push_str(&plot.x_axis());
    let svg = svg(text, plot.total_height(), &body);
    html! {
        figure.dx-chart id=(element_id(text.id, "figure")) {
            figcaption id=(element_id(text.id, "caption")) { (text.caption) }
            (svg)
            (table(lang, text, &axis, levels.iter().map(|l| (l.name.as_str(), l.count))))
        }
    }
}

/// The screen-reader table of a one-value-per-row chart.
fn table<'a>(
    lang: Lang,
    text: ChartText<'_>,
    axis: &Axis,
    rows: impl Iterator<Item = (&'a str, Option<f64>)>,
) -> Markup {
    html! {
        table.table.visually-hidden {
            caption { (text.caption) }
            thead { tr { th scope="col" { (text.category) } th.num scope="col" { (text.value) } } }
            tbody {
                @for (label, value) in rows {
                    tr { th scope="row" { (label) } td.num { (cell(lang, axis, value)) } }
                }
            }
        }
    }
}

fn cell(lang: Lang, axis: &Axis, value: Option<f64>) -> String {
    value.map_or_else(|| WITHHELD.to_string(), |v| axis.format(lang, v, 1))
}

/// The `<svg>` element: scales with its container, labelled by the figure's caption.
fn svg(text: ChartText<'_>, height: f64, body: &str) -> Markup {
    let caption_id = element_id(text.id, "caption");
    maud::PreEscaped(format!(
        r#"<svg class="dx-chart-svg" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-labelledby="{caption_id}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif">{body}</svg>"#
    ))
}

/// `dx-chart-{id}-{part}` with `id` reduced to letters, digits and dashes, so a caller's id can
/// never break out of the attribute.
fn element_id(id: &str, part: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("dx-chart-{id}-{part}")
}

/// Text escaped for SVG content (the same rules as HTML text).
fn escape(s: &str) -> String {
    html! { (s) }.into_string()
}

/// Splits `text` at spaces into lines of at most `max` characters (a longer word stays whole).
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// The value axis: 0 to 100 % for shares, 0 to a round number for counts.
#[derive(Debug, Clone, Copy)]
struct Axis {
    scale: Scale,
    max: f64,
    step: f64,
}

impl Axis {
    fn new(scale: Scale, values: impl Iterator<Item = f64>) -> Axis {
        match scale {
            Scale::Percent => Axis {
                scale,
                max: 100.0,
                step: 25.0,
            },
            Scale::Count => {
                let largest = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
                let step = nice_step(largest);
                let max = ((largest / step).ceil() * step).max(step);
                Axis { scale, max, step }
            }
        }
    }

    /// Where `value` lies on the axis, 0 to 1 (clamped).
    fn position(&self, value: f64) -> f64 {
        if value.is_finite() {
            (value / self.max).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let count = (self.max / self.step).round() as usize;
        (0..=count).map(|i| i as f64 * self.step).collect()
    }

    fn format(&self, lang: Lang, value: f64, decimals: usize) -> String {
        match self.scale {
            Scale::Percent => format!("{}%", number(lang, value, decimals)),
            Scale::Count => number(lang, value, 0),
        }
    }
}

/// A step of 1, 2 or 5 times a power of ten giving at most five intervals up to `largest`.
fn nice_step(largest: f64) -> f64 {
    if largest <= 5.0 {
        return 1.0;
    }
    let raw = largest / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// The frame of a vertical chart: value axis on the left, labels under the bottom axis.
struct Plot {
    left: f64,
    top: f64,
    height: f64,
}

impl Plot {
    fn new() -> Plot {
        Plot {
            left: 48.0,
            top: 12.0,
            height: 180.0,
        }
    }

    fn width(&self) -> f64 {
        WIDTH - self.left - 4.0
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }

    fn total_height(&self) -> f64 {
        self.bottom() + 28.0
    }

    /// Gridlines and value labels.
    fn y_axis(&self, lang: Lang, axis: &Axis) -> String {
        let mut out = String::new();
        for tick in axis.ticks() {
            let y = self.bottom() - axis.position(tick) * self.height;
            let _ = write!(
                out,
                r#"<line x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{GRID}" stroke-width="1"></line><text class="dx-tick" x="{:.1}" y="{:.1}" font-size="{SMALL}" fill="{TEXT}" text-anchor="end">{}</text>"#,
                self.left,
                WIDTH - 4.0,
                self.left - 6.0,
                y + 4.0,
                escape(&axis.format(lang, tick, 0)),
            );
        }
        let _ = write!(
            out,
            r#"<line x1="{l:.1}" x2="{l:.1}" y1="{:.1}" y2="{:.1}" stroke="{TEXT}" stroke-width="1"></line>"#,
            self.top,
            self.bottom(),
            l = self.left,
        );
        out
    }

    fn x_axis(&self) -> String {
        format!(
            r#"<line x1="{:.1}" x2="{:.1}" y1="{b:.1}" y2="{b:.1}" stroke="{TEXT}" stroke-width="1"></line>"#,
            self.left,
            WIDTH - 4.0,
            b = self.bottom(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(id: &str) -> ChartText<'_> {
        ChartText {
            id,
            caption: "Which practices have firms adopted?",
            category: "Practice",
            value: "Share of firms",
        }
    }

    fn bar(label: &str, value: Option<f64>, target: Option<f64>) -> Bar {
        Bar {
            label: label.into(),
            value,
            target,
        }
    }

    fn count(html: &str, needle: &str) -> usize {
        html.matches(needle).count()
    }

    #[test]
    fn bars_are_a_labelled_figure_with_a_table() {
        let html = bar_chart(
            Lang::En,
            text("practices"),
            Scale::Percent,
            &[
                bar("E-invoices", Some(82.5), Some(100.0)),
                bar("Backup", Some(40.0), None),
            ],
        )
        .into_string();
        assert!(html.starts_with(r#"<figure class="dx-chart" id="dx-chart-practices-figure">"#));
        assert!(html.contains(
            r#"<figcaption id="dx-chart-practices-caption">Which practices have firms adopted?</figcaption>"#
        ));
        assert!(html.contains(r#"role="img" aria-labelledby="dx-chart-practices-caption""#));
        assert!(html.contains(r#"viewBox="0 0 400 "#) && html.contains(r#"width="100%""#));
        assert_eq!(count(&html, r#"class="dx-bar""#), 2);
        assert_eq!(count(&html, r#"class="dx-target""#), 1);
        assert!(html.contains("Black upright line: the target."));
        // The table: every bar, its value to one decimal and the target column.
        assert!(html.contains(r#"<table class="table visually-hidden">"#));
        assert!(html.contains(r#"<th scope="row">E-invoices</th><td class="num">82.5%</td><td class="num">100.0%</td>"#));
        assert!(html.contains(
            r#"<th scope="row">Backup</th><td class="num">40.0%</td><td class="num"></td>"#
        ));
        assert!(!html.contains("<script"));
        assert!(!html.contains("style="));
    }

    #[test]
    fn a_percent_axis_is_labelled_from_0_to_100() {
        let html = bar_chart(
            Lang::Vi,
            text("a"),
            Scale::Percent,
            &[bar("Hóa đơn điện tử", Some(12.0), None)],
        )
        .into_string();
        let ticks: Vec<&str> = html
            .split(r#"class="dx-tick""#)
            .skip(1)
            .map(|s| s.split('>').nth(1).unwrap().split('<').next().unwrap())
            .collect();
        assert_eq!(ticks, ["0%", "25%", "50%", "75%", "100%"]);
        // A bar of 12 % is 12 % of the 336-unit track.
        assert!(html.contains(r#"width="40.3" height="16""#), "{html}");
        // No target anywhere: no marker, no legend, no target column.
        assert!(!html.contains("dx-target") && !html.contains("Vạch đen"));
        assert!(!html.contains("Mục tiêu"));
    }

    #[test]
    fn a_count_axis_ends_on_a_round_number_in_the_page_language() {
        let html = bar_chart(
            Lang::Vi,
            text("counts"),
            Scale::Count,
            &[
                bar("Hải Phòng", Some(1234.0), None),
                bar("Hưng Yên", Some(310.0), None),
            ],
        )
        .into_string();
        for tick in ["0", "500", "1.000", "1.500"] {
            assert!(html.contains(&format!(">{tick}</text>")), "{tick}: {html}");
        }
        assert!(!html.contains(">2.000</text>"));
        assert!(html.contains(r#"<td class="num">1.234</td>"#));
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(37.0), 10.0);
        assert_eq!(nice_step(12.0), 5.0);
        assert_eq!(nice_step(999.0), 200.0);
    }

    #[test]
    fn a_withheld_value_has_no_bar_and_says_fewer_than_5() {
        let html = bar_chart(
            Lang::En,
            text("w"),
            Scale::Percent,
            &[
                bar("Small group", None, Some(80.0)),
                bar("Big group", Some(50.0), None),
            ],
        )
        .into_string();
        assert_eq!(count(&html, r#"class="dx-bar""#), 1);
        assert!(html.contains(r#"class="dx-withheld""#));
        assert_eq!(count(&html, "&lt; 5"), 2, "in the chart and in the table");
        assert!(html.contains(r#"<th scope="row">Small group</th><td class="num">&lt; 5</td><td class="num">80.0%</td>"#));
        // The target is still drawn: it is public, the measured value is not.
        assert_eq!(count(&html, r#"class="dx-target""#), 1);
    }

    #[test]
    fn labels_and_ids_are_escaped() {
        let evil = r#"<script>alert("x")</script> & co"#;
        let html = bar_chart(
            Lang::En,
            ChartText {
                id: r#"x" onload="alert(1)"#,
                caption: evil,
                category: evil,
                value: evil,
            },
            Scale::Count,
            &[bar(evil, Some(3.0), None)],
        )
        .into_string();
        assert!(!html.contains("<script>"));
        assert!(!html.contains(r#"" onload"#));
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
        assert!(html.contains(r#"id="dx-chart-x--onload--alert-1--figure""#));
        for chart in [
            trend_chart(
                Lang::En,
                text("t"),
                Scale::Count,
                &[Point {
                    label: evil.into(),
                    value: Some(9.0),
                }],
            ),
            level_chart(
                Lang::En,
                text("l"),
                &[LevelCount {
                    level: 0,
                    name: evil.into(),
                    count: Some(9.0),
                }],
            ),
        ] {
            let html = chart.into_string();
            assert!(!html.contains("<script>"), "{html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
        }
    }

    #[test]
    fn long_labels_wrap_instead_of_running_off_the_chart() {
        let label = "Bán hàng trên sàn thương mại điện tử và mạng xã hội của doanh nghiệp nhỏ";
        let html = bar_chart(
            Lang::Vi,
            text("wrap"),
            Scale::Percent,
            &[bar(label, Some(10.0), None)],
        )
        .into_string();
        assert_eq!(
            count(&html, r##"font-size="15" fill="#1b1b1b">"##),
            2,
            "{html}"
        );
        assert!(wrap(label, 46).iter().all(|l| l.chars().count() <= 46));
        assert_eq!(wrap("", 46), [""]);
    }

    fn months(n: usize) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                label: format!("{:02}/{}", i % 12 + 1, 2025 + i / 12),
                value: if i == 3 { None } else { Some((i * 10) as f64) },
            })
            .collect()
    }

    #[test]
    fn a_trend_has_a_bar_per_month_thinned_labels_and_every_month_in_its_table() {
        let html = trend_chart(Lang::Vi, text("trend"), Scale::Count, &months(24)).into_string();
        assert_eq!(count(&html, r#"class="dx-bar""#), 23);
        assert_eq!(count(&html, r#"class="dx-withheld""#), 1);
        // 24 labels of 7 characters (about 58 units each) do not fit 348 units: one month in
        // five is labelled, the others are in the table.
        assert_eq!(count(&html, r#"class="dx-label""#), 5);
        assert!(html.contains(">01/2025</text>") && html.contains(">06/2025</text>"));
        assert!(!html.contains(">02/2025</text>"));
        assert_eq!(count(&html, r#"<th scope="row">"#), 24);
        assert!(html.contains(r#"<th scope="row">04/2025</th><td class="num">&lt; 5</td>"#));
        // The value axis: 0 to 250 for a largest month of 230.
        for tick in ["0", "50", "100", "250"] {
            assert!(
                html.contains(&format!(r#"text-anchor="end">{tick}</text>"#)),
                "{tick}"
            );
        }
        // Few months: every label.
        let short = trend_chart(Lang::Vi, text("s"), Scale::Count, &months(3)).into_string();
        assert_eq!(count(&short, r#"class="dx-label""#), 3);
    }

    #[test]
    fn levels_are_named_under_their_columns_and_coloured_as_everywhere() {
        let levels: Vec<LevelCount> = (0..=5)
            .map(|level| LevelCount {
                level,
                name: format!("Mức {level}"),
                count: if level == 5 {
                    None
                } else {
                    Some(f64::from(level) * 7.0 + 5.0)
                },
            })
            .collect();
        let html = level_chart(Lang::En, text("levels"), &levels).into_string();
        for (level, colour) in LEVEL_COLOURS.iter().enumerate().take(5) {
            assert!(html.contains(&format!(">Level {level}</text>")));
            assert!(html.contains(&format!(r#"fill="{colour}""#)));
        }
        assert!(html.contains(">Level 5</text>"));
        assert_eq!(count(&html, r#"class="dx-bar""#), 5);
        assert!(html.contains(r#"<th scope="row">Mức 5</th><td class="num">&lt; 5</td>"#));
        assert!(html.contains(r#"<th scope="row">Mức 4</th><td class="num">33</td>"#));
        // Every column carries its count as text, so colour is never the only sign.
        assert!(html.contains(r#"text-anchor="middle">33</text>"#));
    }

    #[test]
    fn an_empty_chart_still_renders_its_axes() {
        let html = bar_chart(Lang::En, text("e"), Scale::Count, &[]).into_string();
        assert!(html.contains(">0</text>") && html.contains(">1</text>"));
        let html = trend_chart(Lang::En, text("e2"), Scale::Percent, &[]).into_string();
        assert!(html.contains(">100%</text>"));
    }
}
