"""Live training curves: one small plot per metric group, several runs overlaid, TensorBoard-style
smoothing (raw curve faint, smoothed curve solid), log-y, and a hover readout.

A metric measured on training batches and the same metric measured by the run's evaluation
(``validation/<name>``) share one plot: training solid, validation dashed with a dot per measurement, never
smoothed (each point is a measurement). A ``<name>_floor`` value is a reference line on ``<name>``'s plot,
not a plot of its own. The best step (the step of the run's best weights) is marked on every plot that has
evaluation points. Every curve shows measured values only: a series starts at its first measurement."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.training.metrics_log import FIXED_COLUMNS
from core.training.smoothing import debiased_ema
from gui.style import colour
from gui.train.curve_model import (
    EVALUATION_PREFIX,
    PER_CLASS_GROUP,
    Series,
    group_order,
    is_evaluation,
    is_reference,
    legend_at_bottom,
    metric_group,
    nice_ceiling,
    plot_title,
    readout,
    series_label,
    smoothing_of,
)

RUN_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
              (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
COLUMNS = 2
REDRAW_INTERVAL_MS = 250  # curves are redrawn at most 4 times a second, however fast rows arrive
# One plot per redraw, the next ones STAGGER_MS later: repainting a plot whose range moved (axes, ticks, text)
# costs up to ~15 ms, and all of them in one paint made the GUI's worst frame 40-55 ms while training
# (benchmarks/ui_responsiveness.py --mode train-panel --diagnose: pyqtgraph's AxisItem.generateDrawSpecs).
STAGGER_MS = 30


class CurvesView(QWidget):
    hovered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(colour("curves_background"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.smoothing = 0.6
        self.log_y = False
        self.plots: dict[str, pg.PlotItem] = {}
        self.series: dict[tuple[str, str], Series] = {}
        self.run_colors: dict[str, tuple] = {}
        self.best: dict[str, tuple[int, str]] = {}  # run -> (best step, label)
        self.evaluation_labels: dict[str, str] = {}  # run -> what its validation measured on, for the legend
        self._best_lines: dict[tuple[str, str], pg.InfiniteLine] = {}  # (run, group) -> marker
        self._best_entries: dict[tuple[str, str], pg.PlotDataItem] = {}  # (run, group) -> its legend entry
        self._proxy = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self._dirty: set[tuple[str, str]] = set()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self.flush)

    # data ---------------------------------------------------------------------------------------------
    def color_of(self, run: str) -> tuple:
        if run not in self.run_colors:
            self.run_colors[run] = RUN_COLORS[len(self.run_colors) % len(RUN_COLORS)]
        return self.run_colors[run]

    def add_rows(self, run: str, rows) -> None:
        touched = set()
        for row in rows:
            step = row.get("step")
            if step is None:
                continue
            for name, value in row.items():
                if name in FIXED_COLUMNS or value is None:
                    continue
                series = self.series.get((run, name))
                if series is None:
                    series = self.series[(run, name)] = Series()
                series.steps.append(step)
                series.values.append(value)
                touched.add((run, name))
        self._dirty |= touched
        if self._dirty and not self._redraw_timer.isActive():
            self._redraw_timer.start(REDRAW_INTERVAL_MS)

    def flush(self) -> None:
        """Draw what changed since the last redraw (called by the redraw timer), one plot at a time: the
        other plots' changes are drawn STAGGER_MS later, so the event loop paints in between. Creating a
        plot costs ~20 ms, so a new plot is also made alone."""
        group_drawn = None
        for key in sorted(self._dirty, key=lambda k: group_order(metric_group(k[1]))):
            if key not in self.series:
                self._dirty.discard(key)
                continue
            group = metric_group(key[1])
            if group_drawn is not None and group != group_drawn:
                continue
            group_drawn = group
            self._draw(key)
            self._dirty.discard(key)
        if self._dirty:
            self._redraw_timer.start(STAGGER_MS)

    def flush_all(self) -> None:
        """Draw everything pending now (tests, screenshots)."""
        while self._dirty:
            self.flush()

    def clear_run(self, run: str) -> None:
        for key in [k for k in self.series if k[0] == run]:
            series = self.series.pop(key)
            self._dirty.discard(key)
            plot = self.plots.get(metric_group(key[1]))
            for item in (series.raw, series.smooth, series.line):
                if item is not None and plot is not None:
                    plot.removeItem(item)
        self.set_best(run, None)
        self.run_colors.pop(run, None)
        self._drop_empty_plots()

    def clear(self) -> None:
        for run in {k[0] for k in self.series}:
            self.clear_run(run)
        self.run_colors.clear()

    def metric_names(self, run: str | None = None) -> list[str]:
        return sorted({name for (r, name) in self.series if run is None or r == run})

    def values(self, run: str, name: str) -> tuple[np.ndarray, np.ndarray]:
        series = self.series[(run, name)]
        return np.asarray(series.steps), np.asarray(series.values)

    # drawing ------------------------------------------------------------------------------------------
    def _plot_for(self, group: str) -> pg.PlotItem:
        plot = self.plots.get(group)
        if plot is None:
            # No grid and 1-px pens: measured on the 2-core CPU, pyqtgraph's grid plus 2-px antialiased
            # pens made a repaint of four plots take 60-190 ms (the GUI stalls); without them it takes 3 ms.
            plot = pg.PlotItem(title=plot_title(group))
            _let_title_shrink(plot.titleLabel)
            plot.addLegend(offset=(-4, 4), labelTextSize="7pt", verSpacing=-6)
            # Fixed axis sizes and no SI-prefix relabelling: otherwise a new tick label width re-lays out
            # every plot (measured: 100+ ms stalls while a run is live).
            plot.getAxis("left").setWidth(56)
            for name in ("left", "bottom"):
                plot.getAxis(name).enableAutoSIPrefix(False)
            plot.setLogMode(y=self.log_y or group == "learning rate")  # rates span decades
            plot.setLabel("bottom", "step")
            plot.disableAutoRange()  # ranges move in steps (see _fit): every range change redraws the axes
            if self.plots:
                plot.setXLink(next(iter(self.plots.values())))
            self.plots[group] = plot
            self._relayout()
        return plot

    def _relayout(self) -> None:
        self.graphics.clear()
        for index, group in enumerate(sorted(self.plots, key=group_order)):
            self.graphics.addItem(self.plots[group], row=index // COLUMNS, col=index % COLUMNS)

    def _drop_empty_plots(self) -> None:
        used = {metric_group(name) for (_, name) in self.series}
        removed = [g for g in self.plots if g not in used]
        for group in removed:
            del self.plots[group]
        if removed:
            self._relayout()

    def _draw(self, key: tuple[str, str]) -> None:
        run, name = key
        series = self.series[key]
        group = metric_group(name)
        plot = self._plot_for(group)
        several = len({r for r, _ in self.series}) > 1
        color = self._color_for(run, name, several)
        label = series_label(name)
        if label == "validation" and run in self.evaluation_labels:
            label = self.evaluation_labels[run]
        label = (f"{run}: {label}" if several else label) or None  # None: no legend entry
        if is_reference(name):
            self._draw_reference(plot, series, color, label)
            self._fit(group)
            return
        steps = np.asarray(series.steps, dtype=np.float64)
        values = np.asarray(series.values, dtype=np.float64)
        if self.log_y or group == "learning rate":
            values = np.where(values > 0, values, np.nan)
        evaluation = is_evaluation(name)
        if series.raw is None:
            series.raw = plot.plot(pen=pg.mkPen((*color, 70), width=1), antialias=False)
            if evaluation:  # sparse measurements: a dashed line through a dot per measurement
                series.smooth = plot.plot(pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine), name=label,
                                          symbol="o", symbolSize=4, symbolBrush=color, symbolPen=None,
                                          antialias=True)
            else:
                series.smooth = plot.plot(pen=pg.mkPen(color, width=1), name=label, antialias=True)
        smooth_weight = self._smoothing_of(name)
        series.raw.setData(steps, values, connect="finite")
        series.smooth.setData(steps, debiased_ema(values, smooth_weight) if len(values) else values,
                              connect="finite")
        series.raw.setVisible(smooth_weight > 0)
        if evaluation:  # dots while they tell measurements apart; a dense run of them reads as a thick line
            series.smooth.setSymbol("o" if len(steps) <= 40 else None)
        self._fit(group)
        if evaluation and run in self.best:
            self._mark_best(run, group)

    def _color_for(self, run: str, name: str, several: bool) -> tuple:
        """The run's colour; with one run shown, each class of the per-class plot its own colour (else
        the classes could not be told apart)."""
        if several or metric_group(name) != PER_CLASS_GROUP or name == EVALUATION_PREFIX + "mean_iou":
            return self.color_of(run)
        classes = sorted(n for (r, n) in self.series if r == run and metric_group(n) == PER_CLASS_GROUP
                         and n != EVALUATION_PREFIX + "mean_iou")
        return RUN_COLORS[(classes.index(name) + 1) % len(RUN_COLORS)]

    def _smoothing_of(self, name: str) -> float:
        return smoothing_of(name, self.smoothing)

    def _draw_reference(self, plot, series, color, label) -> None:
        value = float(series.values[-1])
        if series.line is None:
            series.line = pg.InfiniteLine(angle=0, movable=False,
                                          pen=pg.mkPen((*color, 160), width=1, style=Qt.PenStyle.DotLine),
                                          label=label, labelOpts={"position": 0.02, "color": (90, 90, 90),
                                                                  "anchors": [(0, 1), (0, 1)]})
            plot.addItem(series.line, ignoreBounds=True)
        series.line.setPos(np.log10(value) if self.log_y and value > 0 else value)

    # the best step ------------------------------------------------------------------------------------
    def set_best(self, run: str, step: int | None, label: str = "", metric: str | None = None) -> None:
        """Mark ``run``'s best step (its best weights) on every plot with evaluation points, with ``label``
        on the plot of ``metric`` (what ranked the weights; every plot when None); None clears."""
        if step is None:
            self.best.pop(run, None)
        else:
            self.best[run] = (int(step), label, metric_group(metric) if metric else None)
        for (marked_run, group), line in list(self._best_lines.items()):
            if marked_run == run:
                if step is None:
                    entry = self._best_entries.pop((marked_run, group), None)
                    if group in self.plots:
                        self.plots[group].removeItem(line)
                        if entry is not None:
                            self.plots[group].removeItem(entry)
                    del self._best_lines[(marked_run, group)]
        if step is not None:
            for (r, name) in list(self.series):
                if r == run and is_evaluation(name) and metric_group(name) in self.plots:
                    self._mark_best(run, metric_group(name))

    def _mark_best(self, run: str, group: str) -> None:
        step, label, labelled_group = self.best[run]
        text = (label or f"best: step {step}") if labelled_group in (None, group) else ""
        line = self._best_lines.get((run, group))
        pen = pg.mkPen((*self.color_of(run), 200), width=1, style=Qt.PenStyle.DashDotLine)
        if line is None:
            line = pg.InfiniteLine(angle=90, movable=False, pen=pen)
            self.plots[group].addItem(line, ignoreBounds=True)
            self._best_lines[(run, group)] = line
        line.setPos(step)
        # The text is a legend entry (the legend sits where the curves are not), once, on the plot of the
        # metric that ranked the weights: as a label on the line it covered curves, legends or the floor.
        entry = self._best_entries.get((run, group))
        if text and entry is None:
            self._best_entries[(run, group)] = self.plots[group].plot(pen=pen, name=text)  # no data
        elif entry is not None:
            for sample, name in self.plots[group].legend.items:
                if sample.item is entry and name.text != text:
                    name.setText(text)

    def best_text(self, run: str, group: str) -> str:
        """The legend's text for ``run``'s best step on ``group``'s plot ('' when that plot has none)."""
        entry = self._best_entries.get((run, group))
        if entry is None:
            return ""
        return next((name.text for sample, name in self.plots[group].legend.items if sample.item is entry), "")

    def best_marker(self, run: str, group: str) -> float | None:
        """Where the best-step marker of ``run`` stands on ``group``'s plot (None: not drawn)."""
        line = self._best_lines.get((run, group))
        return float(line.value()) if line is not None else None

    def _fit(self, group: str) -> None:
        """Keep axis ranges still while data stays inside them: x grows to the next 'nice' step count, y is
        refitted only when data leaves the range or fills less than half of it."""
        plot = self.plots[group]
        steps, values = [], []
        for (_, name), series in self.series.items():
            if metric_group(name) == group and series.steps:
                if not is_reference(name):
                    steps.append(np.asarray(series.steps, dtype=np.float64))
                values.append(np.asarray(series.values, dtype=np.float64))
        if not values:
            return
        data = np.concatenate(values)
        log = self.log_y or group == "learning rate"
        data = data[np.isfinite(data) & (data > 0)] if log else data[np.isfinite(data)]
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        if steps:
            hi = float(np.concatenate(steps).max())
            if hi > x1 or x1 > 2 * max(hi, 1) or x0 != 0:
                plot.setXRange(0, nice_ceiling(hi * 1.15), padding=0)
        if data.size:
            lo_v, hi_v = float(data.min()), float(data.max())
            if log:
                lo_v, hi_v = np.log10(lo_v), np.log10(hi_v)
            span = hi_v - lo_v
            if span <= 1e-9 * max(abs(hi_v), 1.0):
                # one value (a constant, a single measurement): a range around it, so the axis has numbers
                span = 0.1 if log else max(abs(hi_v) * 0.1, 1e-3)
                lo_v, hi_v = lo_v - span / 2, hi_v + span / 2
            if lo_v < y0 or hi_v > y1 or (y1 - y0) > 2.2 * span:
                pad = 0.1 * span
                plot.setYRange(lo_v - pad, hi_v + pad, padding=0)
        self._place_legend(group)

    def _place_legend(self, group: str) -> None:
        """The legend in the right-hand corner the curves leave free (see curve_model.legend_at_bottom)."""
        plot = self.plots[group]
        if plot.legend is None:
            return
        (x0, _), (y0, y1) = plot.vb.viewRange()
        shown = [series for (_, name), series in self.series.items()
                 if metric_group(name) == group and not is_reference(name) and series.steps]
        if not shown:
            return
        at_bottom = legend_at_bottom(shown, x0, y0, y1, self.log_y or group == "learning rate")
        if (plot.legend.opts["offset"][1] < 0) != at_bottom:  # the plot's own state: plots come and go
            plot.legend.setOffset((-4, -4) if at_bottom else (-4, 4))

    def redraw(self) -> None:
        for key in list(self.series):
            self._draw(key)

    def set_smoothing(self, weight: float) -> None:
        self.smoothing = float(min(0.999, max(0.0, weight)))
        self.redraw()

    def set_log_y(self, enabled: bool) -> None:
        self.log_y = bool(enabled)
        for group, plot in self.plots.items():
            plot.setLogMode(y=self.log_y or group == "learning rate")
        self.redraw()

    # hover ---------------------------------------------------------------------------------------------
    def readout(self, group: str, step: float) -> str:
        """The text for the metrics of one plot at the saved step nearest to ``step``."""
        return readout(self.series, group, step, self.smoothing)

    def _on_mouse(self, event) -> None:
        position = event[0]
        for group, plot in self.plots.items():
            if plot.sceneBoundingRect().contains(position):
                point = plot.vb.mapSceneToView(position)
                self.hovered.emit(self.readout(group, point.x()))
                return


def _let_title_shrink(title: pg.LabelItem) -> None:
    """A plot title that never widens its plot: pyqtgraph makes a title's text width the plot's minimum
    width, so a long title in a narrow panel pushed the right column of plots out of view."""
    update = title.updateMin

    def update_without_min_width():
        update()
        title.setMinimumWidth(0)
        title._sizeHint[Qt.SizeHint.MinimumSize] = (0, title._sizeHint[Qt.SizeHint.MinimumSize][1])
        title._sizeHint[Qt.SizeHint.PreferredSize] = (0, title._sizeHint[Qt.SizeHint.PreferredSize][1])
        title.updateGeometry()

    title.updateMin = update_without_min_width
    title.updateMin()
