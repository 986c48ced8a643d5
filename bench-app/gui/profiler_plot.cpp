#include "profiler_plot.hpp"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace aidi::gui {
namespace {

constexpr int kLeft = 84, kRight = 14, kTop = 26, kBottom = 34, kLaneGap = 8;
constexpr int kNearPixels = 5;

// A value with an SI prefix: 0.00123 "A" -> "1.23 mA".
QString si(double value, const QString& unit, int digits = 4) {
  static const std::pair<double, const char*> prefixes[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""},
                                                            {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}};
  const double a = std::abs(value);
  if (a == 0 || !std::isfinite(a)) return QString("0 %1").arg(unit);
  for (const auto& [scale, prefix] : prefixes)
    if (a >= scale * 0.9995) return QString("%1 %2%3").arg(value / scale, 0, 'g', digits).arg(prefix).arg(unit);
  return QString("%1 %2").arg(value, 0, 'g', digits).arg(unit);
}

// A tick step of 1, 2 or 5 x 10^k giving about `count` ticks over `span`.
double tickStep(double span, int count) {
  const double raw = span / std::max(1, count);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude) return m * magnitude;
  return 10 * magnitude;
}

QColor markerColor(core::ProfileMarker::Kind kind) {
  using Kind = core::ProfileMarker::Kind;
  switch (kind) {
    case Kind::PowerOn: return QColor(0x2c, 0xa0, 0x2c);
    case Kind::PowerOff: return QColor(0xd6, 0x27, 0x28);
    case Kind::Checkpoint: return QColor(0x1f, 0x77, 0xb4, 110);
    case Kind::Request:
    case Kind::Result: return QColor(0x22, 0x22, 0x22);
    case Kind::Sleep:
    case Kind::Wake: return QColor(0x94, 0x67, 0xbd, 140);
  }
  return Qt::black;
}

const QColor kCursorColors[2] = {QColor(0xff, 0x7f, 0x0e), QColor(0x94, 0x67, 0xbd)};

}  // namespace

ProfilerPlot::ProfilerPlot(QWidget* parent)
    : QWidget(parent),
      m_lanes{Lane{"voltage", "voltage", QColor(0x1f, 0x77, 0xb4)}, Lane{"current", "current", QColor(0xd6, 0x27, 0x28)},
              Lane{"power", "power", QColor(0x2c, 0xa0, 0x2c)}} {
  setMinimumSize(480, 300);
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
}

void ProfilerPlot::setProfile(core::RunProfile* profile) {
  m_profile = profile;
  m_cursors = {};
  m_readout.reset();
  for (auto& lane : m_lanes) lane.yZoom = 1;
  fitAll();
  emit cursorsChanged();
}

void ProfilerPlot::addOverlay(core::RunProfile* profile, double offsetS, const QColor& color, const QString& name) {
  m_overlays.push_back({profile, offsetS, color, name});
  update();
}

void ProfilerPlot::setView(double t0, double t1) {
  if (!(t1 > t0) || !std::isfinite(t0) || !std::isfinite(t1)) return;
  const double minSpan = 1e-7;  // 100 ns: finer than any sample
  if (t1 - t0 < minSpan) {
    const double mid = (t0 + t1) / 2;
    t0 = mid - minSpan / 2;
    t1 = mid + minSpan / 2;
  }
  m_t0 = t0;
  m_t1 = t1;
  update();
  emit viewChanged(m_t0, m_t1);
}

void ProfilerPlot::fitAll() {
  if (!m_profile) return;
  const double span = std::max(m_profile->endS() - m_profile->startS(), 1e-6);
  setView(m_profile->startS() - 0.01 * span, m_profile->endS() + 0.01 * span);
}

void ProfilerPlot::zoomY(int lane, double factor) {
  if (lane < 0 || lane >= kLanes || !(factor > 0)) return;
  auto& l = m_lanes[static_cast<std::size_t>(lane)];
  l.yZoom = factor == 1 ? 1 : std::clamp(l.yZoom * factor, 1e-6, 1e6);
  update();
}

void ProfilerPlot::setCursorAt(int which, double t) {
  if (which < 0 || which > 1 || !std::isfinite(t)) return;
  m_cursors[static_cast<std::size_t>(which)] = t;
  updateReadout();
  update();
}

void ProfilerPlot::updateReadout() {
  m_readout.reset();
  if (m_profile && m_cursors[0] && m_cursors[1]) {
    auto r = m_profile->readout(*m_cursors[0], *m_cursors[1]);
    if (r) m_readout = *r;
    else emit failed(QString::fromStdString(r.error().message));
  }
  emit cursorsChanged();
}

QString ProfilerPlot::readoutText() const {
  if (!m_cursors[0] && !m_cursors[1]) return tr("Click to place cursor A, right-click (or Shift+click) for B.");
  QString text;
  if (m_cursors[0]) text += tr("A %1").arg(si(*m_cursors[0], "s", 7));
  if (m_cursors[1]) text += tr("   B %1").arg(si(*m_cursors[1], "s", 7));
  if (!m_readout) return text;
  const auto& r = *m_readout;
  text += tr("   Δt %1   V %2 → %3 (ΔV %4)   charge %5   energy %6   average %7")
              .arg(si(r.t1 - r.t0, "s"), si(r.v0, "V"), si(r.v1, "V"), si(r.v1 - r.v0, "V"), si(r.chargeC, "C"),
                   si(r.energyJ, "J"), si(r.averageW(), "W"));
  return text;
}

QRect ProfilerPlot::plotArea(const QRect& area) const {
  return area.adjusted(kLeft, kTop, -kRight, -kBottom);
}

QRect ProfilerPlot::laneRect(const QRect& plot, int lane) const {
  const int h = (plot.height() - (kLanes - 1) * kLaneGap) / kLanes;
  return QRect(plot.left(), plot.top() + lane * (h + kLaneGap), plot.width(), h);
}

int ProfilerPlot::laneAt(int y) const {
  const QRect plot = plotArea(rect());
  for (int lane = 0; lane < kLanes; ++lane)
    if (y <= laneRect(plot, lane).bottom() + kLaneGap / 2) return lane;
  return kLanes - 1;
}

double ProfilerPlot::timeAt(int x) const {
  const QRect plot = plotArea(rect());
  return m_t0 + (x - plot.left()) * (m_t1 - m_t0) / std::max(1, plot.width());
}

int ProfilerPlot::xOf(double t) const {
  const QRect plot = plotArea(rect());
  return plot.left() + static_cast<int>(std::lround((t - m_t0) / (m_t1 - m_t0) * plot.width()));
}

QString ProfilerPlot::markerTextNear(int x) const {
  if (!m_profile) return {};
  QString best;
  int bestDistance = kNearPixels + 1;
  for (const auto& m : m_profile->markers()) {
    const int d = std::abs(xOf(m.t) - x);
    if (d < bestDistance) {
      bestDistance = d;
      best = QString::fromStdString(m.text) + "  (" + si(m.t, "s", 7) + ")";
    }
  }
  return best;
}

void ProfilerPlot::updateHover(int x) {
  if (!m_profile) return;
  const double t = timeAt(x), pixel = (m_t1 - m_t0) / std::max(1, plotArea(rect()).width());
  QString text = tr("t = %1").arg(si(t, "s", 7));
  for (const auto& lane : m_lanes) {
    const core::ChannelInfo* c = m_profile->channel(lane.channel);
    if (!c) continue;
    auto s = m_profile->stats(*c, t, t + pixel);
    if (!s || s->count == 0) continue;
    text += s->min == s->max ? QString("   %1 %2").arg(lane.label, si(s->min, QString::fromStdString(c->unit)))
                             : QString("   %1 %2 … %3")
                                   .arg(lane.label, si(s->min, QString::fromStdString(c->unit)),
                                        si(s->max, QString::fromStdString(c->unit)));
  }
  m_hover = text;
  emit hovered(text);
}

void ProfilerPlot::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  m_lastArea = rect();
  render(painter, rect());
}

void ProfilerPlot::render(QPainter& painter, const QRect& area) {
  painter.save();
  painter.setRenderHint(QPainter::Antialiasing, false);
  painter.fillRect(area, Qt::white);
  const QRect plot = plotArea(area);
  if (!m_profile) {
    painter.drawText(area, Qt::AlignCenter, tr("No run open."));
    painter.restore();
    return;
  }
  const double span = m_t1 - m_t0;
  const auto xAt = [&](double t) { return plot.left() + (t - m_t0) / span * plot.width(); };
  QFont small = painter.font();
  small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.85));
  painter.setFont(small);
  painter.setPen(Qt::black);
  painter.drawText(QRect(area.left() + 4, area.top() + 2, area.width() - 8, kTop - 4), Qt::AlignLeft | Qt::AlignVCenter,
                   QString::fromStdString(m_profile->title()));

  // Sleeps as shaded bands, then the markers, all under the data: a
  // power-on's spike must stay visible.
  {
    const auto& all = m_profile->markers();
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i].kind != core::ProfileMarker::Kind::Sleep) continue;
      double end = all[i].t;
      for (std::size_t j = i + 1; j < all.size(); ++j)
        if (all[j].kind == core::ProfileMarker::Kind::Wake) {
          end = all[j].t;
          break;
        }
      if (end < m_t0 || all[i].t > m_t1) continue;
      const double x0 = std::max(xAt(all[i].t), double(plot.left())), x1 = std::min(xAt(end), double(plot.right()));
      painter.fillRect(QRectF(x0, plot.top(), std::max(1.0, x1 - x0), plot.height()), QColor(0x94, 0x67, 0xbd, 28));
    }
  }
  // Checkpoints as short ticks when crowded.
  const auto& markers = m_profile->markers();
  int visibleCheckpoints = 0;
  for (const auto& m : markers)
    if (m.kind == core::ProfileMarker::Kind::Checkpoint && m.t >= m_t0 && m.t <= m_t1) ++visibleCheckpoints;
  const bool crowded = visibleCheckpoints * 4 > plot.width();
  for (const auto& m : markers) {
    if (m.t < m_t0 || m.t > m_t1) continue;
    const double x = xAt(m.t);
    const bool checkpoint = m.kind == core::ProfileMarker::Kind::Checkpoint;
    const bool dotted = checkpoint || (m.kind != core::ProfileMarker::Kind::PowerOn &&
                                       m.kind != core::ProfileMarker::Kind::PowerOff);
    QPen pen(markerColor(m.kind), 1, dotted ? Qt::DotLine : Qt::DashLine);
    painter.setPen(pen);
    if (checkpoint && crowded) painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.top() + 6));
    else painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    // A small flag at the top: ▲ power-on, ▼ cycle end, ◆ checkpoint.
    painter.setPen(markerColor(m.kind));
    painter.setBrush(markerColor(m.kind));
    QPolygonF flag;
    if (m.kind == core::ProfileMarker::Kind::PowerOn) flag << QPointF(x, plot.top() - 7) << QPointF(x - 4, plot.top()) << QPointF(x + 4, plot.top());
    else if (m.kind == core::ProfileMarker::Kind::PowerOff) flag << QPointF(x, plot.top()) << QPointF(x - 4, plot.top() - 7) << QPointF(x + 4, plot.top() - 7);
    else if (!crowded) flag << QPointF(x, plot.top() - 6) << QPointF(x - 3, plot.top() - 3) << QPointF(x, plot.top()) << QPointF(x + 3, plot.top() - 3);
    if (!flag.isEmpty()) painter.drawPolygon(flag);
    painter.setBrush(Qt::NoBrush);
  }

  for (int li = 0; li < kLanes; ++li) {
    Lane& lane = m_lanes[static_cast<std::size_t>(li)];
    const QRect r = laneRect(plot, li);
    painter.setPen(QColor(0xbb, 0xbb, 0xbb));
    painter.drawRect(r.adjusted(0, 0, -1, -1));
    const core::ChannelInfo* channel = m_profile->channel(lane.channel);
    if (!channel) continue;
    struct Drawn {
      std::vector<core::EnvelopeColumn> columns;
      QColor color;
    };
    std::vector<Drawn> drawn;
    auto own = m_profile->envelope(*channel, m_t0, m_t1, r.width());
    if (!own) {
      emit failed(QString::fromStdString(own.error().message));
      continue;
    }
    drawn.push_back({std::move(*own), lane.color});
    if (li == kLanes - 1)
      for (const auto& o : m_overlays) {
        const core::ChannelInfo* oc = o.profile->channel(lane.channel);
        if (!oc) continue;
        auto cols = o.profile->envelope(*oc, m_t0 - o.offsetS, m_t1 - o.offsetS, r.width());
        if (cols) drawn.push_back({std::move(*cols), o.color});
      }
    // Y range: what is visible, zoomed around its middle.
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& d : drawn)
      for (const auto& c : d.columns)
        if (!c.empty) lo = std::min(lo, c.min), hi = std::max(hi, c.max);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) hi = lo + std::max(std::abs(lo) * 0.1, 1e-9), lo -= std::max(std::abs(lo) * 0.1, 1e-9);
    const double mid = (lo + hi) / 2, half = (hi - lo) / 2 * 1.08 / lane.yZoom;
    lane.lo = mid - half;
    lane.hi = mid + half;
    const auto yAt = [&](double v) { return r.bottom() - (v - lane.lo) / (lane.hi - lane.lo) * r.height(); };
    // Y ticks and the lane's name and unit.
    const QString unit = QString::fromStdString(channel->unit);
    const double step = tickStep(lane.hi - lane.lo, 3);
    painter.setPen(QColor(0x66, 0x66, 0x66));
    for (double v = std::ceil(lane.lo / step) * step; v <= lane.hi; v += step) {
      const double y = yAt(v);
      painter.setPen(QColor(0xee, 0xee, 0xee));
      painter.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
      painter.setPen(QColor(0x55, 0x55, 0x55));
      painter.drawText(QRectF(area.left(), y - 8, kLeft - 6, 16), Qt::AlignRight | Qt::AlignVCenter, si(v, unit, 3));
    }
    painter.setClipRect(r);
    std::vector<QLineF> lines;  // one batch per curve: far cheaper than a call per line
    for (const auto& d : drawn) {
      lines.clear();
      std::optional<QPointF> previous;
      for (int x = 0; x < static_cast<int>(d.columns.size()); ++x) {
        const auto& c = d.columns[static_cast<std::size_t>(x)];
        if (c.empty) continue;
        const double px = r.left() + x + 0.5, y0 = yAt(c.min), y1 = yAt(c.max);
        if (previous) lines.emplace_back(*previous, QPointF(px, (y0 + y1) / 2));
        lines.emplace_back(QPointF(px, y0), QPointF(px, y1));
        previous = QPointF(px, (y0 + y1) / 2);
      }
      painter.setPen(QPen(d.color, 1));
      painter.drawLines(lines.data(), static_cast<int>(lines.size()));
    }
    painter.setClipping(false);
    // The legend: the lane's channel, its source; overlays on the power lane.
    QString legend = QString("%1 (%2, %3)").arg(lane.label, unit, QString::fromStdString(channel->source));
    painter.setPen(lane.color);
    painter.drawText(QRect(r.left() + 6, r.top() + 2, r.width() - 12, 14), Qt::AlignLeft | Qt::AlignVCenter, legend);
    if (li == kLanes - 1) {
      int lx = r.right() - 6;
      for (auto it = m_overlays.rbegin(); it != m_overlays.rend(); ++it) {
        const int w = painter.fontMetrics().horizontalAdvance(it->name) + 8;
        lx -= w;
        painter.setPen(it->color);
        painter.drawText(QRect(lx, r.top() + 2, w, 14), Qt::AlignLeft | Qt::AlignVCenter, it->name);
      }
    }
  }

  // Cursors.
  for (int i = 0; i < 2; ++i) {
    const auto& c = m_cursors[static_cast<std::size_t>(i)];
    if (!c || *c < m_t0 || *c > m_t1) continue;
    const double x = xAt(*c);
    painter.setPen(QPen(kCursorColors[i], 1.5));
    painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    painter.drawText(QPointF(x + 3, plot.bottom() - 4), i == 0 ? "A" : "B");
  }

  // The time axis.
  painter.setPen(QColor(0x55, 0x55, 0x55));
  const double step = tickStep(span, std::max(2, plot.width() / 110));
  for (double t = std::ceil(m_t0 / step) * step; t <= m_t1; t += step) {
    const double x = xAt(t);
    painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4));
    painter.drawText(QRectF(x - 50, plot.bottom() + 5, 100, 14), Qt::AlignHCenter | Qt::AlignTop, si(t, "s", 6));
  }
  painter.drawText(QRect(plot.left(), area.bottom() - 14, plot.width(), 14), Qt::AlignHCenter,
                   tr("time (s, trace time)   ▲ power-on  ▼ cycle end  ◆ checkpoint  ┆ request / result  shaded: asleep"));
  painter.restore();
}

void ProfilerPlot::mousePressEvent(QMouseEvent* e) {
  const int x = static_cast<int>(e->position().x());
  m_dragX = x;
  m_dragged = false;
  m_dragT0 = m_t0;
  m_dragT1 = m_t1;
  m_dragCursor = -1;
  for (int i = 0; i < 2; ++i)
    if (m_cursors[static_cast<std::size_t>(i)] && std::abs(xOf(*m_cursors[static_cast<std::size_t>(i)]) - x) <= kNearPixels)
      m_dragCursor = i;
  if (e->button() == Qt::RightButton) {
    setCursorAt(1, timeAt(x));
    m_dragX = -1;
  }
}

void ProfilerPlot::mouseMoveEvent(QMouseEvent* e) {
  const int x = static_cast<int>(e->position().x());
  updateHover(x);
  if (m_dragX < 0 || !(e->buttons() & Qt::LeftButton)) return;
  if (std::abs(x - m_dragX) > 3) m_dragged = true;
  if (!m_dragged) return;
  if (m_dragCursor >= 0) {
    m_cursors[static_cast<std::size_t>(m_dragCursor)] = timeAt(x);
    update();
    return;
  }
  const double dt = (x - m_dragX) * (m_dragT1 - m_dragT0) / std::max(1, plotArea(rect()).width());
  setView(m_dragT0 - dt, m_dragT1 - dt);
}

void ProfilerPlot::mouseReleaseEvent(QMouseEvent* e) {
  const int x = static_cast<int>(e->position().x());
  if (e->button() == Qt::LeftButton && m_dragX >= 0) {
    if (m_dragCursor >= 0 && m_dragged) updateReadout();
    else if (!m_dragged) setCursorAt(e->modifiers() & Qt::ShiftModifier ? 1 : 0, timeAt(x));
  }
  m_dragX = -1;
  m_dragCursor = -1;
}

void ProfilerPlot::mouseDoubleClickEvent(QMouseEvent*) { fitAll(); }

void ProfilerPlot::wheelEvent(QWheelEvent* e) {
  const double steps = e->angleDelta().y() / 120.0;
  if (steps == 0) return;
  const double factor = std::pow(0.8, steps);
  if (e->modifiers() & Qt::ControlModifier) {
    zoomY(laneAt(static_cast<int>(e->position().y())), 1 / factor);
    return;
  }
  const double at = timeAt(static_cast<int>(e->position().x()));
  setView(at - (at - m_t0) * factor, at + (m_t1 - at) * factor);
}

void ProfilerPlot::keyPressEvent(QKeyEvent* e) {
  const QPoint pointer = mapFromGlobal(QCursor::pos());
  if (e->key() == Qt::Key_Home) fitAll();
  else if (e->key() == Qt::Key_A) setCursorAt(0, timeAt(pointer.x()));
  else if (e->key() == Qt::Key_B) setCursorAt(1, timeAt(pointer.x()));
  else QWidget::keyPressEvent(e);
}

bool ProfilerPlot::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(e);
    const QString text = markerTextNear(help->pos().x());
    if (text.isEmpty()) QToolTip::hideText();
    else QToolTip::showText(help->globalPos(), text, this);
    return true;
  }
  return QWidget::event(e);
}

}  // namespace aidi::gui
