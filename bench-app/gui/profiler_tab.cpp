#include "profiler_tab.hpp"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QPushButton>
#include <QVBoxLayout>

#include "plot_export.hpp"

namespace aidi::gui {

Result<ProfilerTab*> ProfilerTab::open(const QString& database, std::int64_t runId, QWidget* parent) {
  auto samples = core::RunProfile::recordedSamples(database.toStdString(), runId);
  if (!samples) return std::unexpected(samples.error());
  if (samples->empty())
    return aidi::fail(ErrorCode::NotFound, "run " + std::to_string(runId) +
                                         " has no waveform: record one with `waveforms = true` in the campaign's "
                                         "[campaign] table");
  auto* tab = new ProfilerTab(database, runId, parent);
  for (const int s : *samples)
    tab->m_samples->addItem(s == core::RunProfile::kWholeRun ? tr("whole run") : tr("sample %1").arg(s), s);
  if (!tab->showSample(samples->front())) {
    const QString why = tab->lastError();
    delete tab;
    return aidi::fail(ErrorCode::Io, why.toStdString());
  }
  return tab;
}

ProfilerTab::ProfilerTab(const QString& database, std::int64_t runId, QWidget* parent)
    : QWidget(parent), m_database(database), m_runId(runId) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* bar = new QHBoxLayout;
  m_samples = new QComboBox(this);
  m_samples->setObjectName("samplePicker");
  auto* fit = new QPushButton(tr("Fit"), this);
  auto* csv = new QPushButton(tr("Export selection (CSV)..."), this);
  auto* image = new QPushButton(tr("Export view (PNG/SVG)..."), this);
  bar->addWidget(new QLabel(tr("Sample"), this));
  bar->addWidget(m_samples);
  bar->addWidget(fit);
  bar->addStretch();
  bar->addWidget(csv);
  bar->addWidget(image);
  layout->addLayout(bar);
  m_plot = new ProfilerPlot(this);
  layout->addWidget(m_plot, 1);
  m_readout = new QLabel(this);
  m_readout->setObjectName("cursorReadout");
  m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_hover = new QLabel(this);
  m_hover->setObjectName("hoverReadout");
  layout->addWidget(m_readout);
  layout->addWidget(m_hover);
  connect(m_samples, &QComboBox::activated, this,
          [this](int index) { showSample(m_samples->itemData(index).toInt()); });
  connect(fit, &QPushButton::clicked, m_plot, &ProfilerPlot::fitAll);
  connect(m_plot, &ProfilerPlot::cursorsChanged, this, [this] { m_readout->setText(m_plot->readoutText()); });
  connect(m_plot, &ProfilerPlot::hovered, m_hover, &QLabel::setText);
  connect(m_plot, &ProfilerPlot::failed, this, &ProfilerTab::fail);
  connect(csv, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Selection"), "selection.csv", tr("CSV (*.csv)"));
    if (!path.isEmpty()) exportCsv(path);
  });
  connect(image, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("View"), "profile.png", tr("Image (*.png *.svg)"));
    if (!path.isEmpty()) exportImage(path);
  });
}

void ProfilerTab::fail(const QString& message) {
  m_error = message;
  emit failed(message);
}

bool ProfilerTab::showSample(int sample) {
  auto profile = core::RunProfile::open(m_database.toStdString(), m_runId, sample);
  if (!profile) {
    fail(QString::fromStdString(profile.error().message));
    return false;
  }
  m_profile = std::make_unique<core::RunProfile>(std::move(*profile));
  m_plot->setProfile(m_profile.get());
  const int index = m_samples->findData(sample);
  if (index >= 0) m_samples->setCurrentIndex(index);
  return true;
}

bool ProfilerTab::exportCsv(const QString& path) {
  const auto a = m_plot->cursorAt(0), b = m_plot->cursorAt(1);
  const double t0 = a && b ? std::min(*a, *b) : m_plot->viewStart();
  const double t1 = a && b ? std::max(*a, *b) : m_plot->viewEnd();
  if (auto ok = m_profile->exportCsv(path.toStdString(), t0, t1); !ok) {
    fail(tr("Export: %1").arg(QString::fromStdString(ok.error().message)));
    return false;
  }
  return true;
}

bool ProfilerTab::exportImage(const QString& path) {
  const bool ok = exportPainted(path, m_plot->size().expandedTo(QSize(1000, 600)),
                                QString::fromStdString(m_profile->title()),
                                [this](QPainter& painter, const QRect& area) { m_plot->render(painter, area); });
  if (!ok) fail(tr("Cannot write %1.").arg(path));
  return ok;
}

}  // namespace aidi::gui
