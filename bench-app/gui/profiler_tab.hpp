// A past run's profiler tab: its waveforms (ProfilerPlot), a sample picker
// over the samples recorded, the cursor readouts and the hover readout, and
// exports of this very run: the selection between the cursors as CSV, the
// view as PNG or SVG.
#pragma once

#include <QComboBox>
#include <QLabel>
#include <QWidget>
#include <memory>

#include "aidi/core/run_profile.hpp"
#include "profiler_plot.hpp"

namespace aidi::gui {

class ProfilerTab : public QWidget {
  Q_OBJECT
 public:
  // Opens the run's first recorded sample; an error says why it cannot.
  [[nodiscard]] static Result<ProfilerTab*> open(const QString& database, std::int64_t runId, QWidget* parent = nullptr);

  std::int64_t runId() const { return m_runId; }
  ProfilerPlot* plot() const { return m_plot; }
  QComboBox* samplePicker() const { return m_samples; }
  QLabel* readoutLabel() const { return m_readout; }
  core::RunProfile* profile() const { return m_profile.get(); }
  // Shows sample `sample` of the run (one of the picker's; RunProfile::kWholeRun: all of it).
  bool showSample(int sample);
  // The selection between the cursors (else the view) as CSV.
  bool exportCsv(const QString& path);
  // The view as .png or .svg (by extension).
  bool exportImage(const QString& path);
  QString lastError() const { return m_error; }

 signals:
  void failed(const QString& message);

 private:
  ProfilerTab(const QString& database, std::int64_t runId, QWidget* parent);
  void fail(const QString& message);
  QString m_database;
  std::int64_t m_runId = 0;
  std::unique_ptr<core::RunProfile> m_profile;
  ProfilerPlot* m_plot = nullptr;
  QComboBox* m_samples = nullptr;
  QLabel* m_readout = nullptr;
  QLabel* m_hover = nullptr;
  QString m_error;
};

}  // namespace aidi::gui
