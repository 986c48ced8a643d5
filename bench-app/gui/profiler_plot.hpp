// A run's profile as Otii, the PPK2 app and Joulescope UI show one: voltage,
// current and power in three lanes on one time axis, drawn from the
// waveform store's min/max envelopes at any zoom; the run's events as
// markers (power-on, the cycle's end and why, checkpoints, request and
// result) with their text on hover; two cursors with the readouts between
// them; overlays of other runs' power aligned at their request (compare).
//
// Mouse: click places cursor A, right-click (or Shift+click) cursor B, drag
// a cursor to move it, drag elsewhere to pan, wheel to zoom in time around
// the pointer, Ctrl+wheel to zoom the lane under the pointer in Y,
// double-click to fit. Keys: Home fits, A/B put a cursor at the pointer.
#pragma once

#include <QColor>
#include <QString>
#include <QWidget>
#include <array>
#include <optional>
#include <vector>

#include "aidi/core/run_profile.hpp"

namespace aidi::gui {

class ProfilerPlot : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kLanes = 3;  // voltage, current, power
  explicit ProfilerPlot(QWidget* parent = nullptr);

  // The run drawn (not owned; null: nothing). Fits the view to it.
  void setProfile(core::RunProfile* profile);
  core::RunProfile* profile() const { return m_profile; }
  // Another run's power on the power lane, shifted by `offsetS` (compare:
  // aligned at its request); not owned.
  void addOverlay(core::RunProfile* profile, double offsetS, const QColor& color, const QString& name);
  void clearOverlays() { m_overlays.clear(); update(); }

  void setView(double t0, double t1);
  double viewStart() const { return m_t0; }
  double viewEnd() const { return m_t1; }
  void fitAll();
  // Multiplies lane `lane`'s Y span by `factor` around its middle (1: autoscale again).
  void zoomY(int lane, double factor);

  // Cursor 0 (A) and 1 (B), in seconds of the run's time axis.
  void setCursorAt(int which, double t);
  std::optional<double> cursorAt(int which) const { return m_cursors[static_cast<std::size_t>(which)]; }
  // The readouts between the cursors (both placed), from the store.
  std::optional<core::CursorReadout> readout() const { return m_readout; }
  QString readoutText() const;
  QString hoverText() const { return m_hover; }
  // The marker within a few pixels of widget x `x`, if any (the tooltip's text).
  QString markerTextNear(int x) const;

  // The time at widget x and back (the plot area's mapping).
  double timeAt(int x) const;
  int xOf(double t) const;

  // Paints the plot into `painter` over `area`: the widget, the PNG and the
  // SVG export all use this, so they show the same run.
  void render(QPainter& painter, const QRect& area);

 signals:
  void cursorsChanged();
  void viewChanged(double t0, double t1);
  void hovered(const QString& text);
  void failed(const QString& message);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  void mouseReleaseEvent(QMouseEvent*) override;
  void mouseDoubleClickEvent(QMouseEvent*) override;
  void wheelEvent(QWheelEvent*) override;
  void keyPressEvent(QKeyEvent*) override;
  bool event(QEvent*) override;

 private:
  struct Lane {
    const char* channel;
    const char* label;
    QColor color;
    double yZoom = 1;
    double lo = 0, hi = 1;  // shown Y range (after the last paint)
  };
  struct Overlay {
    core::RunProfile* profile;
    double offsetS;
    QColor color;
    QString name;
  };
  QRect plotArea(const QRect& area) const;
  QRect laneRect(const QRect& plot, int lane) const;
  int laneAt(int y) const;
  void updateReadout();
  void updateHover(int x);

  core::RunProfile* m_profile = nullptr;
  std::vector<Overlay> m_overlays;
  std::array<Lane, kLanes> m_lanes;
  double m_t0 = 0, m_t1 = 1;
  std::array<std::optional<double>, 2> m_cursors;
  std::optional<core::CursorReadout> m_readout;
  QString m_hover;
  QRect m_lastArea;  // where the widget last painted its plot
  int m_dragX = -1, m_dragCursor = -1;
  bool m_dragged = false;
  double m_dragT0 = 0, m_dragT1 = 0;
};

}  // namespace aidi::gui
