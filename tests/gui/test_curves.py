"""The curves view: training and validation of a metric on one plot, the best step marked, reference lines
(an SWD floor) on their metric's plot, and only measured values drawn."""

from __future__ import annotations

import numpy as np
import pytest

from gui.train.curves import PER_CLASS_GROUP, CurvesView, metric_group


@pytest.fixture
def curves(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    return view


def test_validation_shares_the_plot_of_its_training_metric():
    assert metric_group("validation/loss") == metric_group("loss") == "loss"
    assert metric_group("validation/foreground_iou") == "foreground_iou"
    assert metric_group("validation/iou/cell") == metric_group("validation/mean_iou") == PER_CLASS_GROUP
    assert metric_group("swd_floor") == "swd" and metric_group("lr_main") == "learning rate"


def test_training_and_validation_curves_and_the_best_step(curves):
    rows = [{"step": s, "loss": 1.0 / s, "foreground_iou": 0.5 + s / 100} for s in range(10, 101, 10)]
    rows += [{"step": 25, "validation/loss": 0.3, "validation/foreground_iou": 0.6, "validation/mean_iou": 0.55},
             {"step": 60, "validation/loss": 0.2, "validation/foreground_iou": 0.8, "validation/mean_iou": 0.7},
             {"step": 100, "validation/loss": 0.25, "validation/foreground_iou": 0.75, "validation/mean_iou": 0.65}]
    curves.evaluation_labels["run"] = "validation (5 images)"
    curves.add_rows("run", rows)
    curves.set_best("run", 60, "best weights: step 60", "validation/mean_iou")
    curves.flush_all()
    assert set(curves.plots) == {"loss", "foreground_iou", PER_CLASS_GROUP}
    loss_items = curves.plots["loss"].listDataItems()
    assert len(loss_items) == 4  # training raw + smoothed, validation raw (hidden) + points
    legend = [label.text for _, label in curves.plots["loss"].legend.items]
    assert sorted(legend) == ["training batches", "validation (5 images)"]
    steps, values = curves.values("run", "validation/loss")
    assert list(steps) == [25, 60, 100] and list(values) == [0.3, 0.2, 0.25]  # measured points only
    validation = curves.series[("run", "validation/loss")].smooth
    assert list(validation.getData()[1]) == [0.3, 0.2, 0.25]  # never smoothed
    for group in ("loss", "foreground_iou", PER_CLASS_GROUP):
        assert curves.best_marker("run", group) == 60
    assert curves.best_text("run", PER_CLASS_GROUP) == "best weights: step 60"  # in the legend
    assert curves.best_text("run", "loss") == ""  # named once, on the plot that ranked the weights
    assert "(at step 25)" in curves.readout("loss", 31)  # a sparse point names its own step
    curves.clear_run("run")
    assert not curves.plots and not curves._best_lines and not curves._best_entries


def test_swd_is_drawn_where_measured_and_its_floor_is_a_line_with_numbers(curves):
    rows = [{"step": s, "d_loss": 0.7} for s in range(10, 101, 10)]
    rows.insert(0, {"step": 1, "swd": 280.0, "swd_floor": 12.5})
    rows += [{"step": 50, "swd": 90.0}, {"step": 100, "swd": 40.0}]
    curves.add_rows("gan", rows)
    curves.flush_all()
    assert "swd_floor" not in curves.plots and "swd" in curves.plots  # no plot of its own
    steps, values = curves.values("gan", "swd")
    assert list(steps) == [1, 50, 100] and list(values) == [280.0, 90.0, 40.0]
    floor = curves.series[("gan", "swd_floor")].line
    assert floor is not None and floor.value() == 12.5 and floor.angle == 0
    low, high = curves.plots["swd"].vb.viewRange()[1]
    assert low < 12.5 < 280.0 < high  # the floor is inside the plot's y range


def test_a_constant_series_gets_a_y_range_with_numbers(curves):
    curves.add_rows("run", [{"step": s, "psnr": 20.0} for s in range(10, 51, 10)])
    curves.flush_all()
    low, high = curves.plots["psnr"].vb.viewRange()[1]
    assert low < 20.0 < high and high - low > 0.5
    ticks = curves.plots["psnr"].getAxis("left").tickValues(low, high, 200)
    assert sum(len(values) for _, values in ticks) >= 2
    assert np.isfinite([low, high]).all()


def test_legends_sit_where_the_curves_are_not_and_name_the_best_step(curves):
    rising = [{"step": s, "foreground_iou": 1.0 - 1.0 / s, "loss": 1.0 / s} for s in range(10, 1701, 10)]
    rising += [{"step": s, "validation/foreground_iou": 1.0 - 2.0 / s, "validation/loss": 2.0 / s,
                "validation/mean_iou": 0.9 - 2.0 / s} for s in range(100, 1701, 100)]
    curves.add_rows("run", rising)
    curves.set_best("run", 1600, "best weights: step 1600", "validation/mean_iou")  # x range: 0-2000
    curves.flush_all()
    bottom = {group: curves.plots[group].legend.opts["offset"][1] < 0 for group in ("loss", "foreground_iou")}
    assert bottom == {"loss": False, "foreground_iou": True}  # the loss falls, the IoU rises to the top
    curves.clear_run("run")
    curves.add_rows("again", rising)
    curves.flush_all()
    assert curves.plots["foreground_iou"].legend.opts["offset"][1] < 0  # a new plot of the same metric too
    curves.set_best("again", 1600, "best weights: step 1600", "validation/mean_iou")
    legend = [name.text for _, name in curves.plots[PER_CLASS_GROUP].legend.items]
    assert legend.count("best weights: step 1600") == 1
    curves.set_best("again", 100, "best weights: step 100", "validation/mean_iou")
    assert curves.best_text("again", PER_CLASS_GROUP) == "best weights: step 100"
    assert curves.best_marker("again", "loss") == 100
    curves.set_best("again", None)
    assert all(name.text.startswith("best") is False for _, name in curves.plots[PER_CLASS_GROUP].legend.items)


def test_a_long_title_does_not_widen_its_plot(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(360, 400)
    view.show()
    rows = [{"step": s, "loss": 1.0 / s, PER_CLASS_GROUP.replace(" ", "_") * 3: 0.5} for s in range(10, 51, 10)]
    view.add_rows("run", rows)
    view.flush_all()
    qtbot.wait(50)
    width = view.graphics.viewport().width()
    for plot in view.plots.values():
        assert plot.sceneBoundingRect().right() <= width + 1  # no plot pushed out of view


def test_curve_model_places_legends_where_curves_are_not_and_rounds_axes():
    from gui.train.curve_model import Series, legend_at_bottom, nice_ceiling

    rising, falling = Series(), Series()
    rising.steps, rising.values = list(range(10)), [0.1 * i for i in range(10)]
    falling.steps, falling.values = list(range(10)), [1 - 0.1 * i for i in range(10)]
    assert legend_at_bottom([rising], 0, 0.0, 1.0, log=False)  # a score ends high: legend below
    assert not legend_at_bottom([falling], 0, 0.0, 1.0, log=False)  # a loss ends low: legend above
    assert [nice_ceiling(v) for v in (0, 0.7, 1, 1.2, 2.2, 3, 7, 11)] == [1, 1, 1, 2, 2.5, 5, 10, 20]
