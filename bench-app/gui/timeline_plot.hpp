// The live plot: capacitor voltage over time, power-on bands, checkpoint
// markers. Painted with QPainter from per-column min/max (MinMaxPyramid), so
// a run of ten million samples redraws within a frame. Drag to pan, wheel to
// zoom around the cursor, double-click (or Home) to fit, F to follow the
// newest data, Space to pause following.
#pragma once

#include <QString>
#include <QWidget>
#include <vector>

#include "min_max_pyramid.hpp"

namespace aidi::gui {

class TimelinePlot : public QWidget {
  Q_OBJECT
 public:
  explicit TimelinePlot(QWidget* parent = nullptr);

  void clear();
  void appendVoltage(double t, double volts);
  void addPowerBand(double t0, double t1);
  void addCheckpoint(double t, double volts);
  void setTitle(const QString& title);

  bool following() const { return m_follow; }
  void setFollowing(bool follow);
  void fitAll();
  void setView(double t0, double t1);
  double viewStart() const { return m_t0; }
  double viewEnd() const { return m_t1; }
  std::size_t sampleCount() const { return m_voltage.size(); }
  double lastTime() const { return m_voltage.empty() ? 0.0 : m_voltage.lastTime(); }
  std::size_t checkpointCount() const { return m_checkpoints.size(); }

  // Paints the plot into `painter` over `area` (the widget uses it; so do
  // the benchmark and PNG export).
  void render(QPainter& painter, const QRect& area);

 signals:
  void viewChanged(double t0, double t1);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;
  void mouseMoveEvent(QMouseEvent*) override;
  void mouseDoubleClickEvent(QMouseEvent*) override;
  void wheelEvent(QWheelEvent*) override;
  void keyPressEvent(QKeyEvent*) override;

 private:
  struct Band {
    double t0, t1;
  };
  struct Marker {
    double t, v;
  };
  void dataGrew(double t);

  MinMaxPyramid m_voltage;
  std::vector<Band> m_bands;        // in time order
  std::vector<Marker> m_checkpoints;  // in time order
  std::vector<MinMaxPyramid::Column> m_columns;
  QString m_title;
  double m_t0 = 0, m_t1 = 1;
  double m_vMin = 1.8, m_vMax = 3.8;
  bool m_follow = true;
  int m_dragX = -1;
  double m_dragT0 = 0, m_dragT1 = 0;
};

}  // namespace aidi::gui
