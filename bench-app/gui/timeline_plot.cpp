#include "timeline_plot.hpp"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace aidi::gui {
namespace {
constexpr int kLeft = 56, kRight = 12, kTop = 24, kBottom = 28;

// About five round tick values over [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  std::vector<double> out;
  if (!(hi > lo)) return out;
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
  for (double t = std::ceil(lo / step) * step; t <= hi && out.size() < 20; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}
}  // namespace

TimelinePlot::TimelinePlot(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(320, 180);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void TimelinePlot::clear() {
  m_voltage.clear();
  m_bands.clear();
  m_checkpoints.clear();
  m_t0 = 0;
  m_t1 = 1;
  update();
}

void TimelinePlot::setTitle(const QString& title) {
  m_title = title;
  update();
}

void TimelinePlot::dataGrew(double t) {
  if (m_follow && t > m_t1) {
    const double span = m_t1 - m_t0;
    m_t1 = t;
    m_t0 = std::max(0.0, t - span);
    if (m_voltage.size() > 0 && m_t0 > m_voltage.firstTime() && span <= 0) m_t0 = m_voltage.firstTime();
    emit viewChanged(m_t0, m_t1);
  }
  update();
}

void TimelinePlot::appendVoltage(double t, double volts) {
  if (!m_voltage.empty() && t < m_voltage.lastTime()) t = m_voltage.lastTime();
  m_voltage.append(t, volts);
  m_vMin = std::min(m_vMin, volts);
  m_vMax = std::max(m_vMax, volts);
  if (m_follow && m_voltage.size() == 1) m_t0 = t;
  dataGrew(t);
}

void TimelinePlot::addPowerBand(double t0, double t1) {
  m_bands.push_back({t0, t1});
  dataGrew(t1);
}

void TimelinePlot::addCheckpoint(double t, double volts) {
  m_checkpoints.push_back({t, volts});
  update();
}

void TimelinePlot::setFollowing(bool follow) {
  m_follow = follow;
  if (follow && !m_voltage.empty()) dataGrew(m_voltage.lastTime());
  update();
}

void TimelinePlot::fitAll() {
  if (m_voltage.empty()) return;
  // A little room on the right, so the last sample is inside the view.
  m_t0 = m_voltage.firstTime();
  m_t1 = m_voltage.lastTime() + std::max(1e-6, 0.01 * (m_voltage.lastTime() - m_t0));
  emit viewChanged(m_t0, m_t1);
  update();
}

void TimelinePlot::setView(double t0, double t1) {
  if (!(t1 > t0)) return;
  m_t0 = t0;
  m_t1 = t1;
  m_follow = false;
  emit viewChanged(m_t0, m_t1);
  update();
}

void TimelinePlot::render(QPainter& p, const QRect& area) {
  p.fillRect(area, Qt::white);
  const QRect plot = area.adjusted(kLeft, kTop, -kRight, -kBottom);
  if (plot.width() <= 2 || plot.height() <= 2) return;
  const double span = m_t1 - m_t0;
  const double vLo = m_vMin - 0.1, vHi = m_vMax + 0.1;
  const auto x = [&](double t) { return plot.left() + (t - m_t0) / span * plot.width(); };
  const auto y = [&](double v) { return plot.bottom() - (v - vLo) / (vHi - vLo) * plot.height(); };

  // Power-on bands that intersect the view.
  auto band = std::lower_bound(m_bands.begin(), m_bands.end(), m_t0, [](const Band& b, double t) { return b.t1 < t; });
  QColor bandColor(245, 215, 110, 90);
  double lastPixel = -1;
  for (; band != m_bands.end() && band->t0 <= m_t1; ++band) {
    const double x0 = std::max<double>(plot.left(), x(band->t0)), x1 = std::min<double>(plot.right(), x(band->t1));
    if (x1 < lastPixel + 1 && x1 - x0 < 1) continue;  // many bands in one pixel: one is enough
    p.fillRect(QRectF(x0, plot.top(), std::max(1.0, x1 - x0), plot.height()), bandColor);
    lastPixel = x1;
  }

  // Grid and labels.
  p.setPen(QColor(220, 220, 220));
  QFont small = p.font();
  small.setPointSizeF(8);
  p.setFont(small);
  for (double t : ticks(m_t0, m_t1)) {
    p.setPen(QColor(225, 225, 225));
    p.drawLine(QPointF(x(t), plot.top()), QPointF(x(t), plot.bottom()));
    p.setPen(Qt::darkGray);
    p.drawText(QRectF(x(t) - 40, plot.bottom() + 2, 80, 14), Qt::AlignHCenter, QString::number(t, 'g', 6));
  }
  for (double v : ticks(vLo, vHi)) {
    p.setPen(QColor(225, 225, 225));
    p.drawLine(QPointF(plot.left(), y(v)), QPointF(plot.right(), y(v)));
    p.setPen(Qt::darkGray);
    p.drawText(QRectF(area.left(), y(v) - 7, kLeft - 6, 14), Qt::AlignRight | Qt::AlignVCenter, QString::number(v, 'g', 3));
  }
  p.setPen(Qt::gray);
  p.drawRect(plot);
  p.setPen(Qt::black);
  p.drawText(QRectF(area.left(), area.top() + 4, area.width(), 16), Qt::AlignHCenter, m_title);
  p.drawText(QRectF(plot.left(), area.bottom() - 13, plot.width(), 13), Qt::AlignHCenter, tr("time (s)"));
  p.save();
  p.translate(area.left() + 10, plot.center().y());
  p.rotate(-90);
  p.drawText(QRectF(-60, -8, 120, 14), Qt::AlignHCenter, tr("capacitor (V)"));
  p.restore();

  // The voltage: one vertical min/max stroke per pixel column, joined.
  m_columns.resize(static_cast<std::size_t>(plot.width()));
  m_voltage.columns(m_t0, m_t1, m_columns);
  p.setClipRect(plot);
  p.setPen(QPen(QColor(31, 119, 180), 1.2));
  QPainterPath path;
  bool started = false;
  // Join to the sample just before the view, so a sparse series stays a line.
  const auto& times = m_voltage.times();
  const auto& values = m_voltage.values();
  const auto firstIn = std::lower_bound(times.begin(), times.end(), m_t0) - times.begin();
  if (firstIn > 0) {
    path.moveTo(x(times[static_cast<std::size_t>(firstIn - 1)]), y(values[static_cast<std::size_t>(firstIn - 1)]));
    started = true;
  }
  for (std::size_t c = 0; c < m_columns.size(); ++c) {
    const auto& col = m_columns[c];
    if (col.empty) continue;
    const double px = plot.left() + static_cast<double>(c) + 0.5;
    if (!started) {
      path.moveTo(px, y(col.first));
      started = true;
    } else {
      path.lineTo(px, y(col.first));
    }
    if (col.max > col.min) {
      path.moveTo(px, y(col.min));
      path.lineTo(px, y(col.max));
      path.moveTo(px, y(col.last));
    }
  }
  // ... and to the first sample after it.
  const auto firstAfter = std::lower_bound(times.begin(), times.end(), m_t1) - times.begin();
  if (started && static_cast<std::size_t>(firstAfter) < times.size())
    path.lineTo(x(times[static_cast<std::size_t>(firstAfter)]), y(values[static_cast<std::size_t>(firstAfter)]));
  p.drawPath(path);

  // Checkpoints in view, at most one per pixel column.
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(214, 39, 40));
  auto marker = std::lower_bound(m_checkpoints.begin(), m_checkpoints.end(), m_t0,
                                 [](const Marker& m, double t) { return m.t < t; });
  int lastColumn = -1;
  for (; marker != m_checkpoints.end() && marker->t <= m_t1; ++marker) {
    const int column = static_cast<int>(x(marker->t));
    if (column == lastColumn) continue;
    lastColumn = column;
    p.drawEllipse(QPointF(x(marker->t), y(marker->v)), 3, 3);
  }
  p.setClipping(false);
  if (m_follow) {
    p.setPen(Qt::darkGreen);
    p.drawText(QRectF(plot.right() - 80, plot.top() + 2, 76, 14), Qt::AlignRight, tr("following"));
  }
}

void TimelinePlot::paintEvent(QPaintEvent*) {
  QPainter p(this);
  render(p, rect());
}

void TimelinePlot::mousePressEvent(QMouseEvent* e) {
  m_dragX = static_cast<int>(e->position().x());
  m_dragT0 = m_t0;
  m_dragT1 = m_t1;
}

void TimelinePlot::mouseMoveEvent(QMouseEvent* e) {
  if (m_dragX < 0 || !(e->buttons() & Qt::LeftButton)) return;
  const double perPixel = (m_dragT1 - m_dragT0) / std::max(1, width() - kLeft - kRight);
  const double shift = (m_dragX - e->position().x()) * perPixel;
  setView(m_dragT0 + shift, m_dragT1 + shift);
}

void TimelinePlot::mouseDoubleClickEvent(QMouseEvent*) { fitAll(); }

void TimelinePlot::wheelEvent(QWheelEvent* e) {
  const double factor = e->angleDelta().y() > 0 ? 0.8 : 1.25;
  const double fraction = std::clamp((e->position().x() - kLeft) / std::max(1, width() - kLeft - kRight), 0.0, 1.0);
  const double pivot = m_t0 + fraction * (m_t1 - m_t0);
  setView(pivot - (pivot - m_t0) * factor, pivot + (m_t1 - pivot) * factor);
}

void TimelinePlot::keyPressEvent(QKeyEvent* e) {
  switch (e->key()) {
    case Qt::Key_F: setFollowing(true); break;
    case Qt::Key_Space: setFollowing(!m_follow); break;
    case Qt::Key_Home: fitAll(); break;
    default: QWidget::keyPressEvent(e);
  }
}

}  // namespace aidi::gui
