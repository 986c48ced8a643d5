#include "main_window.hpp"

#include "aidi/core/lab.hpp"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QSvgWidget>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolBar>
#include <QVBoxLayout>
#include <fstream>

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include "aidi/core/advisor.hpp"
#include "aidi/core/api_messages.hpp"
#include "aidi/core/boot_demo.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "aidi/core/report.hpp"
#include "aidi/core/interrupt.hpp"
#include "aidi/core/run_browser.hpp"
#include "plot_export.hpp"
#include "profiler_plot.hpp"
#include "profiler_tab.hpp"
#include "timeline_plot.hpp"

namespace aidi::gui {
namespace {

enum RunColumn { kCampaign, kRun, kModel, kPolicy, kCondition, kState, kFinished, kLatency, kRatio, kCycles, kFailure, kColumns };

QString fromStd(const std::string& s) { return QString::fromStdString(s); }

// An advice's front, drawn by the core as SVG, where a click on a point
// opens the run behind it (the core says where each point lies).
class AdviceFrontView : public QSvgWidget {
 public:
  AdviceFrontView(const core::AdviceResult& result, std::function<void(qint64)> open, QWidget* parent)
      : QSvgWidget(parent), m_placement(core::adviceFrontPlacement(result)), m_open(std::move(open)) {
    for (const auto& p : m_placement) m_runs.push_back(result.points[p.point].run);
    load(QByteArray::fromStdString(core::adviceFrontSvg(result)));
    setCursor(Qt::PointingHandCursor);
  }

 protected:
  void mousePressEvent(QMouseEvent* event) override {
    // The SVG is stretched over the widget: back into its coordinates.
    const double x = event->position().x() * core::kFrontPlotWidth / std::max(1, width());
    const double y = event->position().y() * core::kFrontPlotHeight / std::max(1, height());
    std::optional<std::size_t> nearest;
    double best = 10 * 10;  // within 10 of the SVG's units
    for (std::size_t i = 0; i < m_placement.size(); ++i) {
      const double d = (m_placement[i].x - x) * (m_placement[i].x - x) + (m_placement[i].y - y) * (m_placement[i].y - y);
      if (d < best) best = d, nearest = i;
    }
    if (nearest && m_runs[*nearest] > 0) m_open(m_runs[*nearest]);
  }

 private:
  std::vector<core::AdvicePlacement> m_placement;
  std::vector<qint64> m_runs;
  std::function<void(qint64)> m_open;
};

// The database must exist and be one this build understands.
Result<core::RunBrowser> openForReading(const QString& path) { return core::RunBrowser::open(path.toStdString()); }

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_modelZoo(core::defaultModelDirectory()) {
  setWindowTitle(tr("AIDI Bench"));
  buildUi();
  buildActions();
  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  if (!settings.value("bench/last").toString().isEmpty()) useBench(settings.value("bench/last").toString());
  if (const QString last = settings.value("database/last").toString(); !last.isEmpty() && QFileInfo::exists(last))
    openDatabase(last);
  clearError();
}

MainWindow::~MainWindow() {
  if (m_worker.joinable() && !m_workerDone) core::requestInterrupt();
  joinWorker();
  m_remote.reset();  // its reader thread ends before the window goes
}

void MainWindow::buildUi() {
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);
  m_error = new QLabel(central);
  m_error->setObjectName("errorBanner");
  m_error->setWordWrap(true);
  m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_error->setStyleSheet("QLabel { background: #fde2e1; color: #8a1f11; padding: 6px; border: 1px solid #e0a39b; }");
  layout->addWidget(m_error);

  m_tabs = new QTabWidget(central);
  // Live: the plot and the campaign's progress.
  auto* live = new QWidget(m_tabs);
  auto* liveLayout = new QVBoxLayout(live);
  m_plot = new TimelinePlot(live);
  m_plot->setTitle(tr("Capacitor voltage, power-on bands and checkpoints"));
  // Beside the plot: the inference's progress through the model's layers and
  // the results as they arrive.
  auto* side = new QVBoxLayout;
  m_layerProgress = new QProgressBar(live);
  m_layerProgress->setObjectName("layerProgress");
  m_layerProgress->setRange(0, 1);
  m_layerProgress->setValue(0);
  m_layerProgress->setFormat(tr("layer %v of %m"));
  m_results = new QListWidget(live);
  m_results->setObjectName("results");
  m_results->setMaximumWidth(320);
  side->addWidget(new QLabel(tr("Current inference"), live));
  side->addWidget(m_layerProgress);
  side->addWidget(new QLabel(tr("Results"), live));
  side->addWidget(m_results, 1);
  auto* plotRow = new QHBoxLayout;
  plotRow->addWidget(m_plot, 1);
  plotRow->addLayout(side);
  liveLayout->addLayout(plotRow, 1);
  auto* progressRow = new QHBoxLayout;
  m_progress = new QProgressBar(live);
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_progressText = new QLabel(tr("No campaign running."), live);
  progressRow->addWidget(m_progress, 1);
  progressRow->addWidget(m_progressText, 2);
  liveLayout->addLayout(progressRow);
  m_tabs->addTab(live, tr("&Live"));

  // Runs: every run of the database, filterable and sortable.
  auto* runs = new QWidget(m_tabs);
  auto* runsLayout = new QVBoxLayout(runs);
  m_filter = new QLineEdit(runs);
  m_filter->setPlaceholderText(tr("Filter runs (model, policy, condition, state, failure)"));
  m_filter->setClearButtonEnabled(true);
  runsLayout->addWidget(m_filter);
  m_runs = new QStandardItemModel(0, kColumns, this);
  m_runs->setHorizontalHeaderLabels({tr("campaign"), tr("run"), tr("model"), tr("policy"), tr("condition"),
                                     tr("state"), tr("finished"), tr("median latency (s)"), tr("ratio to limit"),
                                     tr("power cycles"), tr("failure")});
  m_runsProxy = new QSortFilterProxyModel(this);
  m_runsProxy->setSourceModel(m_runs);
  m_runsProxy->setFilterKeyColumn(-1);
  m_runsProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
  m_runsProxy->setSortRole(Qt::UserRole);
  m_runsView = new QTableView(runs);
  m_runsView->setModel(m_runsProxy);
  m_runsView->setSortingEnabled(true);
  m_runsView->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_runsView->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_runsView->horizontalHeader()->setStretchLastSection(true);
  m_runsView->verticalHeader()->hide();
  runsLayout->addWidget(m_runsView);
  auto* runsButtons = new QHBoxLayout;
  auto* open = new QPushButton(tr("Open timeline"), runs);
  auto* compare = new QPushButton(tr("Compare selected"), runs);
  runsButtons->addWidget(open);
  runsButtons->addWidget(compare);
  runsButtons->addStretch();
  runsLayout->addLayout(runsButtons);
  m_tabs->addTab(runs, tr("&Runs"));
  connect(m_filter, &QLineEdit::textChanged, m_runsProxy, &QSortFilterProxyModel::setFilterFixedString);
  connect(m_runsView, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
    showRunTimeline(m_runsProxy->index(index.row(), kRun).data(Qt::UserRole).toLongLong());
  });
  connect(open, &QPushButton::clicked, this, [this] {
    const auto ids = selectedRunIds();
    if (!ids.isEmpty()) showRunTimeline(ids.front());
  });
  connect(compare, &QPushButton::clicked, this, [this] { compareRuns(selectedRunIds()); });

  // Compare: selected runs side by side, their power overlaid from their requests.
  auto* comparePage = new QWidget(m_tabs);
  auto* compareLayout = new QVBoxLayout(comparePage);
  m_compare = new QTableWidget(comparePage);
  m_compare->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_comparePlot = new ProfilerPlot(comparePage);
  m_compareEnergy = new QSvgWidget(comparePage);
  m_compareEnergy->setObjectName("compareEnergy");
  auto* compareRow = new QHBoxLayout;
  compareRow->addWidget(m_compare, 1);
  compareRow->addWidget(m_compareEnergy, 1);
  compareLayout->addLayout(compareRow, 1);
  compareLayout->addWidget(m_comparePlot, 2);
  m_tabs->addTab(comparePage, tr("&Compare"));
  // Past runs open in tabs of their own, which close; the first three stay.
  m_tabs->setTabsClosable(true);
  for (int i = 0; i < 3; ++i) m_tabs->tabBar()->setTabButton(i, QTabBar::RightSide, nullptr);
  connect(m_tabs, &QTabWidget::tabCloseRequested, this, [this](int index) {
    if (index < 3) return;
    QWidget* page = m_tabs->widget(index);
    m_tabs->removeTab(index);
    page->deleteLater();
  });
  layout->addWidget(m_tabs, 1);
  setCentralWidget(central);

  // Bench panel.
  auto* dock = new QDockWidget(tr("Bench"), this);
  dock->setObjectName("benchDock");
  auto* panel = new QWidget(dock);
  auto* panelLayout = new QVBoxLayout(panel);
  auto* virtualButton = new QPushButton(tr("Use the virtual bench"), panel);
  auto* fileButton = new QPushButton(tr("Open a bench file..."), panel);
  auto* connectButton = new QPushButton(tr("Connect"), panel);
  m_benchInfo = new QLabel(panel);
  m_benchInfo->setObjectName("benchInfo");
  m_benchInfo->setWordWrap(true);
  m_benchInfo->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  m_benchInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_benchInfo->setMinimumWidth(220);
  m_flashModel = new QComboBox(panel);
  if (auto models = core::listModels(m_modelZoo))
    for (const auto& m : *models) m_flashModel->addItem(fromStd(m.name));
  m_flashPolicy = new QComboBox(panel);
  for (const auto& name : core::policyNames()) m_flashPolicy->addItem(QString::fromStdString(name));
  m_flashPolicy->setCurrentText("aidi");
  auto* flashButton = new QPushButton(tr("Flash"), panel);
  auto* flashRow = new QHBoxLayout;
  flashRow->addWidget(m_flashModel);
  flashRow->addWidget(m_flashPolicy);
  flashRow->addWidget(flashButton);
  panelLayout->addWidget(virtualButton);
  panelLayout->addWidget(fileButton);
  panelLayout->addWidget(connectButton);
  panelLayout->addLayout(flashRow);
  panelLayout->addWidget(m_benchInfo, 1);
  dock->setWidget(panel);
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  connect(virtualButton, &QPushButton::clicked, this, [this] { useBench("virtual"); });
  connect(fileButton, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Bench file"), {}, tr("Bench files (*.toml)"));
    if (!path.isEmpty()) useBench(path);
  });
  connect(connectButton, &QPushButton::clicked, this, &MainWindow::connectBench);
  connect(flashButton, &QPushButton::clicked, this,
          [this] { flashBench(m_flashModel->currentText(), m_flashPolicy->currentText()); });

  m_databaseStatus = new QLabel(tr("no database"), this);
  m_decoderStatus = new QLabel(tr("decoder: 0 frames dropped"), this);
  m_decoderStatus->setObjectName("decoderStatus");
  statusBar()->addPermanentWidget(m_databaseStatus);
  statusBar()->addPermanentWidget(m_decoderStatus);
  useBench("virtual");
}

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* openDb = file->addAction(tr("&Open database..."), this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Run database"), {}, tr("SQLite (*.sqlite *.db);;All files (*)"));
    if (!path.isEmpty()) openDatabase(path);
  });
  openDb->setShortcut(QKeySequence::Open);
  file->addAction(tr("&Attach to server..."), this, [this] {
    bool ok = false;
    const QString address =
        QInputDialog::getText(this, tr("aidi serve"), tr("Server (HOST:PORT; a token from AIDI_SERVE_TOKEN):"),
                              QLineEdit::Normal, QSettings().value("server/last", "127.0.0.1:").toString(), &ok);
    if (ok && !address.isEmpty()) attachServer(address);
  });
  file->addAction(tr("&Detach from server"), this, [this] { detachServer(); });
  file->addAction(tr("Open &lab campaign..."), this, [this] {
    const char* env = std::getenv("AIDI_LAB");
    bool ok = false;
    const QString url = QInputDialog::getText(this, tr("Lab"), tr("Lab URL (postgresql://USER@HOST:PORT/DATABASE):"),
                                              QLineEdit::Normal, env ? QString::fromLocal8Bit(env) : QString(), &ok);
    if (!ok || url.isEmpty()) return;
    const QString campaign = QInputDialog::getText(this, tr("Lab"), tr("Campaign (id or name):"), QLineEdit::Normal, {}, &ok);
    if (ok && !campaign.isEmpty()) openLab(url, campaign);
  });
  auto* exportReportAction = file->addAction(tr("&Export report..."), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Report"), "report.html", tr("Report (*.html *.csv *.json)"));
    if (!path.isEmpty()) exportReport(path);
  });
  exportReportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  auto* exportPlotAction = file->addAction(tr("Export &plot..."), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Plot"), "timeline.png", tr("Image (*.png *.svg)"));
    if (!path.isEmpty()) exportPlot(path);
  });
  exportPlotAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  auto* run = menuBar()->addMenu(tr("&Campaign"));
  m_runAction = run->addAction(tr("&Run campaign file..."), this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Campaign file"), {}, tr("Campaigns (*.toml)"));
    if (!path.isEmpty()) runCampaignFile(path);
  });
  m_runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  m_stopAction = run->addAction(tr("&Stop"), this, &MainWindow::stopCampaign);
  m_stopAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
  m_stopAction->setEnabled(false);
  auto* refresh = run->addAction(tr("Re&fresh runs"), this, &MainWindow::refreshRuns);
  refresh->setShortcut(QKeySequence::Refresh);
  auto* compare = run->addAction(tr("&Compare selected runs"), this, [this] { compareRuns(selectedRunIds()); });
  run->addAction(tr("Show &advice..."), this, [this] {
    auto all = m_database.isEmpty() ? Result<std::vector<core::AdviceSummary>>{} : core::recordedAdvice(m_database.toStdString());
    QStringList names;
    if (all)
      for (const auto& a : *all) names.push_front(QString("%1: %2 (%3, %4)").arg(a.id).arg(fromStd(a.name), fromStd(a.state), fromStd(a.createdAt)));
    if (names.isEmpty()) {
      showError(tr("No advice in this database: `aidi advise --trace CSV --db %1` asks for one.").arg(m_database));
      return;
    }
    bool ok = false;
    const QString chosen = QInputDialog::getItem(this, tr("Advice"), tr("Advice:"), names, 0, false, &ok);
    if (ok) showAdvice(chosen.section(':', 0, 0).toLongLong());
  });
  compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));

  auto* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("&Follow newest data"), QKeySequence(Qt::Key_F), m_plot, [this] { m_plot->setFollowing(true); });
  view->addAction(tr("Fit &all"), QKeySequence(Qt::Key_Home), m_plot, [this] { m_plot->fitAll(); });
  for (int i = 0; i < 3; ++i)
    view->addAction(m_tabs->tabText(i).remove('&'), QKeySequence(Qt::ALT | (Qt::Key_1 + i)), this,
                    [this, i] { m_tabs->setCurrentIndex(i); });

  auto* tools = addToolBar(tr("Campaign"));
  tools->setObjectName("campaignToolbar");
  tools->addAction(m_runAction);
  tools->addAction(m_stopAction);
  tools->addAction(exportReportAction);
}

void MainWindow::showError(const QString& message) {
  m_error->setText(message);
  m_error->setVisible(true);
  statusBar()->showMessage(message, 10000);
}

void MainWindow::clearError() {
  // The status bar echoes the error; a later success must not leave it there.
  if (!m_error->text().isEmpty() && statusBar()->currentMessage() == m_error->text()) statusBar()->clearMessage();
  m_error->clear();
  m_error->setVisible(false);
}

QString MainWindow::errorText() const { return m_error->isHidden() ? QString() : m_error->text(); }

QString MainWindow::benchSummary() const { return m_benchInfo->text(); }

bool MainWindow::useBench(const QString& bench) {
  if (bench == "virtual") {
    m_bench = "virtual";
    m_benchFile.reset();
    auto board = core::findBoardProfile(core::kDefaultBoard);
    if (!board) {
      showError(tr("Board profile: %1").arg(fromStd(board.error().message)));
      return false;
    }
    m_benchInfo->setText(tr("<b>Virtual bench</b><br>Board: QEMU mps2-an386 (Cortex-M4, %1 MHz; profile %2)<br>"
                            "Harvester: model of a %3 mW load on a storage capacitor<br>"
                            "Supply: none (no voltage is applied)<br><i>Connect</i> boots the board and "
                            "reads its firmware identity.")
                             .arg(board->clockHz / 1e6, 0, 'g', 4)
                             .arg(fromStd(board->path.string()))
                             .arg(board->activePowerW * 1e3, 0, 'f', 3));
  } else {
    auto file = core::loadBenchFile(bench.toStdString());
    if (!file) {
      showError(tr("Bench file: %1").arg(fromStd(file.error().message)));
      return false;
    }
    m_bench = bench;
    m_benchFile = *file;
    QString text = tr("<b>%1</b> (%2)<br>Safety limits: %3 V, %4 A")
                       .arg(fromStd(file->name), fromStd(file->target))
                       .arg(file->limits.maxVolts)
                       .arg(file->limits.maxAmps);
    if (file->supply)
      text += tr("<br>Supply: %1, channel %2").arg(fromStd(file->supply->resource.text)).arg(file->supply->channel);
    if (file->supply) text += tr("<br>Harvester: %1").arg(fromStd(file->harvest.mode));
    if (file->meter)
      text += tr("<br>Meter: %1 at %2").arg(fromStd(file->meter->driver), fromStd(file->meter->resource.text));
    if (file->link) text += tr("<br>Link: %1 at %2 baud").arg(fromStd(file->link->resource.text)).arg(file->link->baud);
    if (file->flasher) text += tr("<br>Flasher: OpenOCD %1").arg(fromStd(file->flasher->configFiles.front()));
    m_benchInfo->setText(text);
  }
  QSettings().setValue("bench/last", m_bench);
  clearError();
  return true;
}

void MainWindow::connectBench() {
  if (m_benchFile) {
    // Identify the supply (*IDN?, no setting is sent) and try the link, off the GUI thread.
    statusBar()->showMessage(tr("Connecting to the bench's instruments..."));
    std::thread([this, guard = QPointer<MainWindow>(this), bench = *m_benchFile] {
      const auto probe = core::probeBench(bench);
      QMetaObject::invokeMethod(qApp, [this, guard, probe] {
        if (!guard) return;
        QString text;
        if (probe.supply)
          text += tr("<br><b>Supply</b>: %1 %2 (serial %3, firmware %4)")
                      .arg(fromStd(probe.supply->vendor), fromStd(probe.supply->model), fromStd(probe.supply->serial),
                           fromStd(probe.supply->firmware));
        if (probe.meter)
          text += tr("<br><b>Meter</b>: %1 %2 (serial %3, firmware %4)")
                      .arg(fromStd(probe.meter->vendor), fromStd(probe.meter->model), fromStd(probe.meter->serial),
                           fromStd(probe.meter->firmware));
        if (!probe.linkState.empty()) text += tr("<br><b>Link</b>: %1").arg(fromStd(probe.linkState));
        m_benchInfo->setText(m_benchInfo->text() + text);
        const bool ok = probe.supplyError.empty() && probe.meterError.empty() && (probe.linkState.empty() || probe.linkOk);
        if (!probe.supplyError.empty()) showError(tr("Supply: %1").arg(fromStd(probe.supplyError)));
        else if (!probe.meterError.empty()) showError(tr("Meter: %1").arg(fromStd(probe.meterError)));
        else if (!ok) showError(tr("Link: %1").arg(fromStd(probe.linkState)));
        emit benchConnected(ok);
      });
    }).detach();
    return;
  }
  statusBar()->showMessage(tr("Booting the virtual board..."));
  std::thread([this, guard = QPointer<MainWindow>(this)] {
    core::BootDemoOptions options;
    options.board.firmware = core::defaultHelloFirmware();
    options.board.qemuProgram = core::defaultQemuProgram();
    options.boots = 1;
    auto hellos = core::runBootDemo(options);
    QMetaObject::invokeMethod(qApp, [this, guard, hellos = std::move(hellos)] {
      if (!guard) return;
      if (!hellos || hellos->empty()) {
        showError(tr("Virtual board: %1").arg(hellos ? tr("no hello") : fromStd(hellos.error().message)));
        emit benchConnected(false);
        return;
      }
      const auto& h = hellos->front();
      m_benchInfo->setText(m_benchInfo->text() + tr("<br><b>Connected</b>: firmware %1, build %2, target %3")
                                                     .arg(fromStd(h.version), fromStd(h.build), fromStd(h.target)));
      statusBar()->showMessage(tr("Virtual board connected"), 5000);
      emit benchConnected(true);
    });
  }).detach();
}

void MainWindow::flashBench(const QString& model, const QString& policy) {
  if (!m_benchFile) {
    // The virtual board's flash is QEMU's loader: every run loads its image.
    showError(tr("The virtual bench loads the firmware for every run; open a bench file to flash a real board."));
    emit flashFinished(false);
    return;
  }
  const auto elf = core::benchFirmware(*m_benchFile, model.toStdString(), policy.toStdString());
  statusBar()->showMessage(tr("Flashing %1 ...").arg(QString::fromStdString(elf.filename().string())));
  std::thread([this, guard = QPointer<MainWindow>(this), bench = *m_benchFile, elf] {
    auto ok = core::flashBench(bench, elf);
    QMetaObject::invokeMethod(qApp, [this, guard, ok, elf] {
      if (!guard) return;
      if (!ok) showError(tr("Flash: %1").arg(fromStd(ok.error().message)));
      else statusBar()->showMessage(tr("Programmed, verified and reset: %1").arg(QString::fromStdString(elf.filename().string())), 8000);
      emit flashFinished(ok.has_value());
    });
  }).detach();
}

bool MainWindow::openDatabase(const QString& path) { return showDatabase(path, QFileInfo(path).fileName(), true); }

bool MainWindow::showDatabase(const QString& path, const QString& shownAs, bool remember) {
  auto db = openForReading(path);
  if (!db) {
    showError(tr("Database: %1").arg(fromStd(db.error().message)));
    return false;
  }
  detachServer();
  m_database = path;
  m_databaseStatus->setText(shownAs);
  if (remember) QSettings().setValue("database/last", path);
  clearError();
  refreshRuns();
  return true;
}

bool MainWindow::openLab(const QString& url, const QString& campaign) {
  auto checked = core::labUrl(url.toStdString());
  if (!checked) {
    showError(tr("Lab: %1").arg(fromStd(checked.error().message)));
    return false;
  }
  auto copy = core::LabCopy::make(*checked, campaign.toStdString(), m_modelZoo);
  if (!copy) {
    showError(tr("Lab: %1").arg(fromStd(copy.error().message)));
    return false;
  }
  const QString path = QString::fromStdString(copy->database().string());
  if (!showDatabase(path, tr("lab %1: %2 (a copy)").arg(QString::fromStdString(*checked), campaign), false)) return false;
  m_labCopy.emplace(std::move(*copy));  // the previous copy goes once the new one is shown
  return true;
}

bool MainWindow::attachServer(const QString& address, const QString& token) {
  if (m_worker.joinable() && !m_workerDone) {
    showError(tr("A campaign is running here; attach when it has ended."));
    return false;
  }
  core::ApiClientOptions options;
  if (auto ok = core::parseServerAddress(address.trimmed().toStdString(), options); !ok) {
    showError(fromStd(ok.error().message));
    return false;
  }
  options.token = token.toStdString();
  if (options.token.empty())
    if (const char* env = std::getenv("AIDI_SERVE_TOKEN")) options.token = env;
  QPointer<MainWindow> guard(this);
  // Both arrive on the client's reader thread; the window handles them on its own.
  options.onMessage = [guard](const nlohmann::json& message) {
    QMetaObject::invokeMethod(qApp, [guard, message] {
      if (guard) guard->onServerMessage(message);
    });
  };
  options.onClosed = [guard](const std::string& why) {
    QMetaObject::invokeMethod(qApp, [guard, why] {
      if (!guard || !guard->m_remote) return;
      guard->showError(tr("Server: %1").arg(fromStd(why)));
      guard->m_remoteRunning = false;
      guard->m_runAction->setEnabled(true);
      guard->m_stopAction->setEnabled(false);
    });
  };
  auto client = core::ApiClient::connect(options);
  if (!client) {
    showError(tr("Server: %1").arg(fromStd(client.error().message)));
    return false;
  }
  if (auto subscribed = (*client)->call("subscribe", {{"on", true}}); !subscribed) {
    showError(tr("Server: %1").arg(fromStd(subscribed.error().message)));
    return false;
  }
  joinWorker();
  m_remote = std::move(*client);
  if (!m_remoteCopies) m_remoteCopies = std::make_unique<QTemporaryDir>();
  m_database.clear();
  m_labCopy.reset();
  const auto bench = m_remote->call("bench.info");
  m_databaseStatus->setText(tr("aidi serve %1 (bench %2)")
                                .arg(fromStd(m_remote->address()),
                                     bench ? fromStd(bench->value("bench", "?")) : QString("?")));
  if (bench && bench->value("running", false) && (*bench)["campaign"].is_number_integer())
    m_remoteCampaign = (*bench)["campaign"].get<std::int64_t>();
  QSettings().setValue("server/last", address);
  clearError();
  refreshRuns();
  return true;
}

void MainWindow::detachServer() {
  if (!m_remote) return;
  m_remote.reset();  // a lock it held dies with the connection; the server's campaign goes on
  m_remoteRunning = false;
  m_remoteCampaign = -1;
  m_runAction->setEnabled(true);
  m_stopAction->setEnabled(false);
  m_databaseStatus->clear();
  m_runs->removeRows(0, m_runs->rowCount());
}

void MainWindow::onServerMessage(const nlohmann::json& message) {
  if (!m_remote) return;
  if (auto e = core::campaignEventOf(message)) {
    if (e->campaignId != m_remoteCampaign) {  // a campaign another client started: the live view follows it
      m_remoteCampaign = e->campaignId;
      m_plot->clear();
      m_plot->setFollowing(true);
      m_plot->setTitle(tr("Campaign %1 on %2, live").arg(e->campaignId).arg(fromStd(m_remote->address())));
      m_liveOffset = 0;
      m_liveRun = -1;
      m_liveSample = -1;
      m_results->clear();
    }
    onCampaignEvent(*e);
    return;
  }
  if (message.value("type", "") != "event") return;
  const std::string event = message.value("event", "");
  if (event == "campaign_ended") {
    const std::int64_t id = message.value("campaign", std::int64_t{-1});
    const bool mine = m_remoteRunning;
    m_remoteRunning = false;
    if (mine) (void)m_remote->call("unlock");  // the bench is free for others again
    m_runAction->setEnabled(true);
    m_stopAction->setEnabled(false);
    refreshRuns();
    if (message.contains("error")) {
      showError(tr("Campaign %1: %2").arg(id).arg(fromStd(message.value("error", ""))));
      m_progressText->setText(tr("Stopped on the server. Runs recorded so far are kept there."));
    } else {
      m_progressText->setText(tr("Campaign %1 finished on the server.").arg(id));
    }
    if (mine) emit campaignFinished(!message.contains("error"));
  } else if (event == "dropped") {
    showError(tr("Server: %1 (the live view missed messages)").arg(fromStd(message.value("reason", ""))));
    if (m_remote) (void)m_remote->call("subscribe", {{"on", true}});
  }
}

QString MainWindow::databaseForRun(qint64 runId) {
  if (!m_remote) return m_database;
  auto exported = m_remote->call("export", {{"run", runId}, {"format", "sqlite"}}, std::chrono::minutes(2));
  if (!exported) {
    showError(tr("Run %1: %2").arg(runId).arg(fromStd(exported.error().message)));
    return {};
  }
  static int copies = 0;
  const QString path = m_remoteCopies->filePath(QString("campaign-%1-%2.sqlite")
                                                    .arg(exported->value("campaign", std::int64_t{0}))
                                                    .arg(++copies));
  QFile out(path);
  const QByteArray bytes = QByteArray::fromBase64(QByteArray::fromStdString(exported->value("content", "")));
  if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.flush()) {
    showError(tr("Cannot write %1 (disk full or no permission).").arg(path));
    return {};
  }
  return path;
}

namespace {

// What the runs browser shows, loaded away from the GUI thread.
struct CampaignRuns {
  std::int64_t id = 0;
  std::string name;
  std::vector<core::RunSummary> runs;
};
struct RunsSnapshot {
  std::vector<CampaignRuns> campaigns;
  std::string error;
};

RunsSnapshot loadRuns(const std::filesystem::path& database) {
  RunsSnapshot snapshot;
  auto db = core::RunBrowser::open(database);
  if (!db) return {{}, db.error().message};
  auto campaigns = db->campaigns();
  if (!campaigns) return {{}, campaigns.error().message};
  for (const auto& c : *campaigns) {
    auto runs = db->runs(c.id);
    if (!runs) return {{}, runs.error().message};
    snapshot.campaigns.push_back({c.id, c.name, std::move(*runs)});
  }
  return snapshot;
}

// The same over the API (aidi serve's runs op).
RunsSnapshot loadRemoteRuns(const std::shared_ptr<core::ApiClient>& server) {
  RunsSnapshot snapshot;
  auto campaigns = server->call("runs");
  if (!campaigns) return {{}, campaigns.error().message};
  for (const auto& c : *campaigns) {
    CampaignRuns entry{c.value("id", std::int64_t{-1}), c.value("name", std::string("?")), {}};
    auto runs = server->call("runs", {{"campaign", entry.id}});
    if (!runs) return {{}, runs.error().message};
    for (const auto& r : *runs) {
      auto summary = core::runSummaryOf(r);
      if (!summary) return {{}, "the server listed a run this GUI cannot read: " + r.dump().substr(0, 200)};
      entry.runs.push_back(std::move(*summary));
    }
    snapshot.campaigns.push_back(std::move(entry));
  }
  return snapshot;
}

}  // namespace

void MainWindow::refreshRuns() {
  if (m_database.isEmpty() && !m_remote) {
    m_runs->removeRows(0, m_runs->rowCount());
    return;
  }
  const std::uint64_t generation = ++m_refreshGeneration;
  ++m_refreshing;
  auto* watcher = new QFutureWatcher<RunsSnapshot>(this);
  connect(watcher, &QFutureWatcher<RunsSnapshot>::finished, this, [this, watcher, generation] {
    watcher->deleteLater();
    --m_refreshing;
    if (generation != m_refreshGeneration) return;  // a newer load is on its way
    const RunsSnapshot snapshot = watcher->result();
    if (!snapshot.error.empty()) {
      showError(tr("Database: %1").arg(fromStd(snapshot.error)));
      return;
    }
    m_runs->removeRows(0, m_runs->rowCount());
    for (const auto& [campaignId, campaign, runs] : snapshot.campaigns) {
      for (const auto& r : runs) {
        QList<QStandardItem*> row;
        const auto cell = [&](const QString& text, const QVariant& sortKey) {
          auto* item = new QStandardItem(text);
          item->setData(sortKey, Qt::UserRole);
          row.push_back(item);
        };
        cell(fromStd(campaign), fromStd(campaign));
        row.back()->setData(QVariant::fromValue<qint64>(campaignId), Qt::UserRole + 1);
        cell(QString::number(r.runId), QVariant::fromValue<qint64>(r.runId));
        cell(fromStd(r.model), fromStd(r.model));
        cell(fromStd(r.policy), fromStd(r.policy));
        cell(fromStd(r.condition), fromStd(r.condition));
        cell(fromStd(r.state), fromStd(r.state));
        cell(QString("%1/%2").arg(r.finished).arg(r.inferences), r.finished);
        cell(r.finished ? QString::number(r.latencyS.median, 'g', 5) : QString("-"), r.latencyS.median);
        cell(r.latencyRatio.count ? QString::number(r.latencyRatio.median, 'f', 3) : QString("-"), r.latencyRatio.median);
        cell(r.finished ? QString::number(r.powerCycles.median) : QString("-"), r.powerCycles.median);
        cell(fromStd(r.failure), fromStd(r.failure));
        m_runs->appendRow(row);
      }
    }
    emit runsRefreshed();
  });
  if (m_remote)
    watcher->setFuture(QtConcurrent::run(loadRemoteRuns, m_remote));
  else
    watcher->setFuture(QtConcurrent::run(loadRuns, std::filesystem::path(m_database.toStdString())));
}

QList<qint64> MainWindow::selectedRunIds() const {
  QList<qint64> ids;
  for (const auto& index : m_runsView->selectionModel()->selectedRows(kRun)) ids.push_back(index.data(Qt::UserRole).toLongLong());
  return ids;
}

ProfilerTab* MainWindow::profilerTab(qint64 runId) const {
  for (int i = 3; i < m_tabs->count(); ++i)
    if (auto* tab = qobject_cast<ProfilerTab*>(m_tabs->widget(i)); tab && tab->runId() == runId) return tab;
  return nullptr;
}

bool MainWindow::showRunTimeline(qint64 runId) {
  for (int i = 3; i < m_tabs->count(); ++i)
    if (m_tabs->widget(i)->property("runId").toLongLong() == runId) {
      m_tabs->setCurrentIndex(i);
      return true;
    }
  const QString database = databaseForRun(runId);
  if (database.isEmpty()) return false;
  auto samples = core::RunProfile::recordedSamples(database.toStdString(), runId);
  if (!samples) {
    showError(tr("Run %1: %2").arg(runId).arg(fromStd(samples.error().message)));
    return false;
  }
  QWidget* page = nullptr;
  QString title;
  if (!samples->empty()) {
    auto tab = ProfilerTab::open(database, runId, m_tabs);
    if (!tab) {
      showError(tr("Run %1: %2").arg(runId).arg(fromStd(tab.error().message)));
      return false;
    }
    connect(*tab, &ProfilerTab::failed, this, &MainWindow::showError);
    page = *tab;
    title = tr("Run %1").arg(runId);
  } else {
    // No waveform recorded: the voltage timeline from the power cycles.
    auto db = openForReading(database);
    if (!db) {
      showError(tr("Database: %1").arg(fromStd(db.error().message)));
      return false;
    }
    auto drawn = db->timeline(runId, 0);
    if (!drawn) {
      showError(tr("Run %1: %2").arg(runId).arg(fromStd(drawn.error().message)));
      return false;
    }
    auto* plot = new TimelinePlot(m_tabs);
    plot->setFollowing(false);
    plot->setTitle(tr("Run %1, sample 0 (no waveform recorded: `waveforms = true` records one)").arg(runId));
    for (const auto& p : drawn->voltage) plot->appendVoltage(p.t, p.v);
    for (const auto& [t0, t1] : drawn->powered) plot->addPowerBand(t0, t1);
    for (const auto& m : drawn->checkpoints) plot->addCheckpoint(m.t, m.v);
    plot->fitAll();
    page = plot;
    title = tr("Run %1 (timeline)").arg(runId);
  }
  page->setProperty("runId", runId);
  m_tabs->setCurrentIndex(m_tabs->addTab(page, title));
  clearError();
  return true;
}

bool MainWindow::compareRuns(const QList<qint64>& runIds) {
  if (runIds.size() < 2) {
    showError(tr("Select two or more runs to compare."));
    return false;
  }
  // Over a server, the runs are read from a copy of the first one's campaign.
  const QString database = databaseForRun(runIds.front());
  if (database.isEmpty()) return false;
  auto db = openForReading(database);
  if (!db) {
    showError(tr("Database: %1").arg(fromStd(db.error().message)));
    return false;
  }
  auto found = db->runsById(std::vector<std::int64_t>(runIds.begin(), runIds.end()));
  if (!found) {
    showError(m_remote ? tr("%1 (over a server, compare runs of one campaign)").arg(fromStd(found.error().message))
                       : fromStd(found.error().message));
    return false;
  }
  const std::vector<core::RunSummary>& chosen = *found;
  const QStringList metrics = {tr("model"), tr("policy"), tr("condition"), tr("finished"), tr("latency median (s)"),
                               tr("latency p95 (s)"), tr("ratio to limit (median)"), tr("power cycles (median)"),
                               tr("boot overhead"), tr("checkpoint + NVM"), tr("re-executed"), tr("failure")};
  m_compare->clear();
  m_compare->setRowCount(static_cast<int>(metrics.size()));
  m_compare->setColumnCount(static_cast<int>(chosen.size()));
  m_compare->setVerticalHeaderLabels(metrics);
  for (int c = 0; c < static_cast<int>(chosen.size()); ++c) {
    const auto& r = chosen[static_cast<std::size_t>(c)];
    m_compare->setHorizontalHeaderItem(c, new QTableWidgetItem(tr("run %1").arg(r.runId)));
    const double plain = r.plainCycles ? static_cast<double>(r.plainCycles) : 1.0;
    const QStringList values = {
        fromStd(r.model), fromStd(r.policy), fromStd(r.condition), QString("%1/%2").arg(r.finished).arg(r.inferences),
        QString::number(r.latencyS.median, 'g', 5), QString::number(r.latencyS.p95, 'g', 5),
        QString::number(r.latencyRatio.median, 'f', 3), QString::number(r.powerCycles.median),
        QString("%1 %").arg(100.0 * r.bootCycles / plain, 0, 'f', 2),
        QString("%1 %").arg(100.0 * r.checkpointCycles / plain, 0, 'f', 2),
        QString("%1 %").arg(100.0 * r.reexecutedCycles / plain, 0, 'f', 2), fromStd(r.failure)};
    const bool finished = r.finished == r.inferences && r.inferences > 0;
    for (int m = 0; m < values.size(); ++m) {
      // A run that did not finish every inference has no latency to compare.
      const bool measured = m >= 4 && m <= 10;
      m_compare->setItem(m, c, new QTableWidgetItem(measured && !finished ? QString::fromUtf8("\u2013") : values[m]));
    }
  }
  // The best: the fastest run that finished every inference.
  int best = -1;
  for (int c = 0; c < static_cast<int>(chosen.size()); ++c) {
    const auto& r = chosen[static_cast<std::size_t>(c)];
    if (r.finished == r.inferences && r.inferences > 0 &&
        (best < 0 || r.latencyS.median < chosen[static_cast<std::size_t>(best)].latencyS.median))
      best = c;
  }
  if (best >= 0)
    for (int m = 0; m < m_compare->rowCount(); ++m) {
      QTableWidgetItem* item = m_compare->item(m, best);
      item->setBackground(QColor(0xd8, 0xf0, 0xd8));
      QFont bold = item->font();
      bold.setBold(true);
      item->setFont(bold);
    }
  m_compare->resizeColumnsToContents();
  // Where their energy went, layer by layer (the report's chart).
  std::vector<core::LayerEnergySeries> series;
  for (const auto& r : chosen)
    if (auto split = db->energySplit(r.runId); split && *split)
      series.push_back({"run " + std::to_string(r.runId) + ": " + r.policy, core::policyColor(r.policy), **split});
  m_compareEnergySvg = QByteArray::fromStdString(core::layerEnergySvg("the compared runs", series));
  m_compareEnergy->load(m_compareEnergySvg);
  m_compareEnergy->setVisible(!m_compareEnergySvg.isEmpty());
  // Their power overlaid, each from its request (sample 0, where recorded).
  static const QColor kColors[] = {QColor(0x2c, 0xa0, 0x2c), QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28),
                                   QColor(0x94, 0x67, 0xbd), QColor(0xff, 0x7f, 0x0e), QColor(0x8c, 0x56, 0x4b)};
  m_comparePlot->clearOverlays();
  m_comparePlot->setProfile(nullptr);
  m_compareProfiles.clear();
  for (const auto& r : chosen) {
    auto profile = core::RunProfile::open(database.toStdString(), r.runId, 0);
    if (profile) m_compareProfiles.push_back(std::make_unique<core::RunProfile>(std::move(*profile)));
  }
  if (!m_compareProfiles.empty()) {
    core::RunProfile* base = m_compareProfiles.front().get();
    m_comparePlot->setProfile(base);
    for (std::size_t i = 1; i < m_compareProfiles.size(); ++i) {
      core::RunProfile* p = m_compareProfiles[i].get();
      m_comparePlot->addOverlay(p, base->requestS() - p->requestS(), kColors[i % std::size(kColors)],
                                tr("run %1").arg(p->runId()));
    }
  }
  m_tabs->setCurrentWidget(m_compare->parentWidget());  // the compare page
  clearError();
  return true;
}

bool MainWindow::showAdvice(qint64 adviceId) {
  if (m_database.isEmpty()) {
    showError(tr("Open the database the advice was recorded in first."));
    return false;
  }
  auto all = core::recordedAdvice(m_database.toStdString());
  if (!all) {
    showError(tr("Advice: %1").arg(fromStd(all.error().message)));
    return false;
  }
  const core::AdviceSummary* found = nullptr;
  for (const auto& a : *all)
    if ((adviceId == 0 || a.id == adviceId) && a.result) found = &a;  // the newest answered, or the one asked for
  if (!found) {
    showError(adviceId ? tr("No answered advice %1 in this database.").arg(adviceId)
                       : tr("No answered advice in this database: `aidi advise` asks for one."));
    return false;
  }
  const core::AdviceResult& r = *found->result;
  auto* page = new QWidget(m_tabs);
  auto* layout = new QVBoxLayout(page);
  auto* verdict = new QLabel(page);
  verdict->setWordWrap(true);
  verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QString text = tr("<b>Recommendation:</b> %1").arg(fromStd(r.verdict).toHtmlEscaped());
  if (r.validation)
    text += tr("<br><b>Validation</b> at %1 held-out start times: %2 %, the front predicted %3 %: %4")
                .arg(r.validation->starts)
                .arg(100 * r.validation->measuredRate, 0, 'f', 0)
                .arg(100 * r.validation->predictedRate, 0, 'f', 0)
                .arg(r.validation->holds ? tr("holds") : tr("does not hold"));
  verdict->setText(text);
  layout->addWidget(verdict);
  auto* front = new AdviceFrontView(r, [this](qint64 run) { showRunTimeline(run); }, page);
  front->setMinimumHeight(300);
  m_adviceFront = front;
  layout->addWidget(front, 2);
  auto* table = new QTableWidget(static_cast<int>(r.points.size()), 9, page);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setHorizontalHeaderLabels({tr("model"), tr("board"), tr("policy"), tr("capacitor (uF)"), tr("accuracy"),
                                    tr("p95 latency (s)"), tr("deadline met"), tr("run"), tr("")});
  for (int row = 0; row < static_cast<int>(r.points.size()); ++row) {
    const auto& p = r.points[static_cast<std::size_t>(row)];
    const QStringList cells = {fromStd(p.model), fromStd(p.board), fromStd(p.policy), QString::number(p.capacitorUf),
                               QString("%1 %").arg(100 * p.accuracy, 0, 'f', 1),
                               std::isfinite(p.p95LatencyS) ? QString::number(p.p95LatencyS, 'g', 4) : tr("never"),
                               r.deadlineS ? QString("%1 %").arg(100 * p.meetRate, 0, 'f', 0) : QString("-"),
                               QString::number(p.run),
                               r.recommended && *r.recommended == static_cast<std::size_t>(row)
                                   ? tr("recommended")
                                   : p.onFront ? tr("front") : fromStd(p.failure)};
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      item->setData(Qt::UserRole, QVariant::fromValue<qint64>(p.run));
      if (p.onFront) {
        QFont bold = item->font();
        bold.setBold(true);
        item->setFont(bold);
      }
      table->setItem(row, c, item);
    }
  }
  table->resizeColumnsToContents();
  // The run behind any point.
  connect(table, &QTableWidget::cellDoubleClicked, this, [this, table](int row, int) {
    if (auto* item = table->item(row, 0)) showRunTimeline(item->data(Qt::UserRole).toLongLong());
  });
  layout->addWidget(table, 3);
  m_adviceTable = table;
  m_tabs->setCurrentIndex(m_tabs->addTab(page, tr("Advice %1").arg(found->id)));
  clearError();
  return true;
}

std::optional<std::int64_t> MainWindow::campaignForExport() const {
  if (m_remote) {  // the selected run's campaign, else the newest listed
    const auto rows = m_runsView->selectionModel()->selectedRows(kCampaign);
    std::optional<std::int64_t> newest;
    for (int r = 0; r < m_runs->rowCount(); ++r)
      newest = std::max<std::int64_t>(newest.value_or(0), m_runs->item(r, kCampaign)->data(Qt::UserRole + 1).toLongLong());
    if (!rows.isEmpty()) return rows.front().data(Qt::UserRole + 1).toLongLong();
    return newest;
  }
  auto db = openForReading(m_database);
  if (!db) return std::nullopt;
  const auto ids = selectedRunIds();
  if (!ids.isEmpty()) {
    if (auto c = db->campaignOfRun(ids.front())) return *c;
  }
  auto campaigns = db->campaigns();
  if (!campaigns || campaigns->empty()) return std::nullopt;
  return campaigns->back().id;
}

bool MainWindow::exportReport(const QString& path) {
  const auto campaign = campaignForExport();
  if (!campaign) {
    showError(tr("Nothing to report: open a database with a campaign first."));
    return false;
  }
  const QString suffix = QFileInfo(path).suffix().toLower();
  std::ofstream out(path.toStdString());
  if (m_remote) {  // the server writes the same report
    auto exported = m_remote->call("export",
                                   {{"campaign", *campaign},
                                    {"format", suffix == "csv" || suffix == "json" ? suffix.toStdString() : "html"}},
                                   std::chrono::minutes(2));
    if (!exported) {
      showError(tr("Report: %1").arg(fromStd(exported.error().message)));
      return false;
    }
    out << exported->value("content", "");
  } else {
    auto report = core::buildReport(m_database.toStdString(), *campaign, m_modelZoo);
    if (!report) {
      showError(tr("Report: %1").arg(fromStd(report.error().message)));
      return false;
    }
    if (suffix == "csv") core::writeCsv(*report, out);
    else if (suffix == "json") core::writeJson(*report, out);
    else core::writeHtml(*report, out);
  }
  out.flush();
  if (!out) {
    showError(tr("Cannot write %1 (disk full or no permission).").arg(path));
    return false;
  }
  statusBar()->showMessage(tr("Report written: %1").arg(path), 5000);
  return true;
}

bool MainWindow::exportPlot(const QString& path) {
  // The plot of the tab in front: a past run's profiler, its timeline, or the live view.
  QWidget* page = m_tabs->currentWidget();
  if (auto* tab = qobject_cast<ProfilerTab*>(page)) {
    if (tab->exportImage(path)) return true;
    showError(tab->lastError());
    return false;
  }
  TimelinePlot* plot = qobject_cast<TimelinePlot*>(page);
  if (!plot) plot = m_plot;
  if (exportPainted(path, plot->size().expandedTo(QSize(800, 400)), m_tabs->tabText(m_tabs->currentIndex()),
                    [plot](QPainter& painter, const QRect& area) { plot->render(painter, area); }))
    return true;
  showError(tr("Cannot write %1.").arg(path));
  return false;
}

bool MainWindow::runCampaignFile(const QString& path) {
  if (isRunning()) {
    showError(tr("A campaign is already running."));
    return false;
  }
  if (m_remote) return runCampaignRemotely(path);
  joinWorker();
  auto campaign = core::loadCampaignFile(path.toStdString(), m_modelZoo);
  if (!campaign) {
    showError(tr("Campaign file: %1").arg(fromStd(campaign.error().message)));
    return false;
  }
  if (m_database.isEmpty()) m_database = QFileInfo(path).dir().filePath(QFileInfo(path).completeBaseName() + ".sqlite");
  auto id = core::planCampaign(*campaign, m_database.toStdString());
  if (!id) {
    showError(tr("Database: %1").arg(fromStd(id.error().message)));
    return false;
  }
  m_databaseStatus->setText(QFileInfo(m_database).fileName());
  QSettings().setValue("database/last", m_database);
  clearError();
  m_plot->clear();
  m_plot->setFollowing(true);
  m_plot->setTitle(tr("Campaign %1, live").arg(fromStd(campaign->name)));
  m_liveOffset = 0;
  m_liveRun = -1;
  m_liveSample = -1;
  m_progress->setRange(0, static_cast<int>(campaign->runCount()));
  m_progress->setValue(0);
  m_results->clear();
  m_runAction->setEnabled(false);
  m_stopAction->setEnabled(true);
  m_tabs->setCurrentIndex(0);
  core::clearInterrupt();
  m_workerDone = false;
  core::RunnerOptions options;
  options.database = m_database.toStdString();
  options.modelZoo = m_modelZoo;
  options.subset = core::subsetFileFor(m_modelZoo);
  const std::int64_t campaignId = *id;
  m_worker = std::thread([this, options, campaignId]() mutable {
    QPointer<MainWindow> guard(this);
    options.onEvent = [this, guard](const core::CampaignEvent& e) {
      QMetaObject::invokeMethod(qApp, [this, guard, e] {
        if (guard) onCampaignEvent(e);
      });
    };
    auto result = core::runCampaign(campaignId, options);
    const QString failure = result ? QString() : fromStd(result.error().message);
    m_workerDone = true;
    QMetaObject::invokeMethod(qApp, [this, guard, failure, campaignId] {
      if (guard) onCampaignEnded(failure, campaignId);
    });
  });
  return true;
}

// On an attached server: it reads the file itself where it shares this
// host's files (loopback), else gets its text (its relative trace paths
// then name the server's files). The live view follows its progress.
bool MainWindow::runCampaignRemotely(const QString& path) {
  const std::string host = m_remote->address().substr(0, m_remote->address().rfind(':'));
  nlohmann::json request;
  if (host == "127.0.0.1" || host == "::1" || host == "localhost") {
    request["file"] = QFileInfo(path).absoluteFilePath().toStdString();
  } else {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
      showError(tr("Campaign file: cannot read %1").arg(path));
      return false;
    }
    request["toml"] = file.readAll().toStdString();
  }
  if (auto locked = m_remote->call("lock"); !locked) {
    showError(tr("Server: %1").arg(fromStd(locked.error().message)));
    return false;
  }
  auto started = m_remote->call("campaign.start", request, std::chrono::minutes(1));
  if (!started) {
    showError(tr("Server: %1").arg(fromStd(started.error().message)));
    return false;
  }
  m_remoteCampaign = started->value("campaign", std::int64_t{-1});
  m_remoteRunning = true;
  clearError();
  m_plot->clear();
  m_plot->setFollowing(true);
  m_plot->setTitle(tr("Campaign %1 on %2, live").arg(m_remoteCampaign).arg(fromStd(m_remote->address())));
  m_liveOffset = 0;
  m_liveRun = -1;
  m_liveSample = -1;
  m_progress->setValue(0);
  m_results->clear();
  m_runAction->setEnabled(false);
  m_stopAction->setEnabled(true);
  m_tabs->setCurrentIndex(0);
  return true;
}

void MainWindow::stopCampaign() {
  if (!isRunning()) return;
  if (m_remote) {
    if (auto stopped = m_remote->call("campaign.stop"); !stopped)
      showError(tr("Server: %1").arg(fromStd(stopped.error().message)));
    else
      statusBar()->showMessage(tr("Stopping on the server after the current power cycle..."));
    return;
  }
  core::requestInterrupt();
  statusBar()->showMessage(tr("Stopping after the current power cycle..."));
}

void MainWindow::onCampaignEvent(const core::CampaignEvent& e) {
  if (m_progress->maximum() != e.runsTotal) m_progress->setRange(0, e.runsTotal);
  m_progress->setValue(e.runsEnded);
  const QString eta = e.etaS < 0 ? tr("--") : QString::number(e.etaS, 'f', 0) + " s";
  m_progressText->setText(tr("%1/%2 runs  %3 / %4 / %5  sample %6/%7  %8 power cycles  ETA %9")
                              .arg(e.runsEnded)
                              .arg(e.runsTotal)
                              .arg(fromStd(e.run.plan.model), fromStd(e.run.plan.policy), fromStd(e.run.plan.condition))
                              .arg(e.sample + 1)
                              .arg(e.samples)
                              .arg(e.powerCycles)
                              .arg(eta));
  m_decoderStatus->setText(tr("decoder: %1 frames dropped").arg(e.framesDropped));
  if (e.kind == core::CampaignEvent::Kind::Checkpoint) {
    m_liveCheckpoints.push_back(e.sinceBootS);  // drawn when its cycle ends (its start is known then)
    if (e.layers > 0) m_layerProgress->setRange(0, e.layers);
    m_layerProgress->setValue(std::min(e.layer + 1, std::max(e.layers, 1)));
    return;
  }
  if (e.kind == core::CampaignEvent::Kind::SampleDone) {
    const QString what = tr("%1 %2 %3 #%4")
                             .arg(fromStd(e.run.plan.model), fromStd(e.run.plan.policy), fromStd(e.run.plan.condition))
                             .arg(e.sample);
    const QString text = e.ok ? tr("%1: %2 %3 %4 s")
                                    .arg(what)
                                    .arg(e.predicted)
                                    .arg(e.predicted == e.label ? QString::fromUtf8("\u2713") : tr("(label %1)").arg(e.label))
                                    .arg(e.latencyS, 0, 'g', 4)
                              : tr("%1: %2").arg(what, fromStd(e.failure));
    m_results->insertItem(0, text);
    m_results->item(0)->setToolTip(text);
    m_layerProgress->setValue(0);
    return;
  }
  if (e.kind != core::CampaignEvent::Kind::PowerCycle) {
    if (e.kind == core::CampaignEvent::Kind::RunEnded) refreshRuns();
    return;
  }
  // Each inference starts at t = 0 with the capacitor at V_on; the live axis
  // lays them end to end.
  if (e.run.runId != m_liveRun || e.sample != m_liveSample) {
    if (m_plot->sampleCount()) m_liveOffset = std::max(m_liveOffset, m_plot->lastTime());
    m_liveRun = e.run.runId;
    m_liveSample = e.sample;
    m_liveLastV = e.cycle.vOn;
  }
  const auto& c = e.cycle;
  const double start = m_liveOffset + c.startS;
  if (c.offS > 0) m_plot->appendVoltage(start - c.offS, m_liveLastV);
  m_plot->appendVoltage(start, c.vOn);
  m_plot->appendVoltage(start + c.onS + c.sleepS, c.vOff);
  m_plot->addPowerBand(start, start + c.onS + c.sleepS);
  // The cycle's checkpoints, on the voltage's line at their moment.
  const double length = c.onS + c.sleepS;
  for (const double at : m_liveCheckpoints) {
    const double share = length > 0 ? std::clamp(at / length, 0.0, 1.0) : 0.0;
    m_plot->addCheckpoint(start + std::min(at, length), c.vOn + share * (c.vOff - c.vOn));
  }
  m_liveCheckpoints.clear();
  m_liveLastV = c.vOff;
  if (c.finished) m_liveOffset = start + c.onS + c.sleepS;
}

void MainWindow::onCampaignEnded(const QString& failure, std::int64_t campaignId) {
  joinWorker();
  core::clearInterrupt();  // the stop request is served; instruments may be used again
  m_runAction->setEnabled(true);
  m_stopAction->setEnabled(false);
  refreshRuns();
  if (!failure.isEmpty()) {
    showError(tr("Campaign %1: %2").arg(campaignId).arg(failure));
    m_progressText->setText(tr("Stopped. Runs recorded so far are kept; `aidi resume` or Run continues."));
  } else {
    m_progressText->setText(tr("Campaign %1 finished.").arg(campaignId));
  }
  emit campaignFinished(failure.isEmpty());
}

void MainWindow::joinWorker() {
  if (m_worker.joinable()) m_worker.join();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (isRunning()) core::requestInterrupt();
  joinWorker();
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  event->accept();
}

}  // namespace aidi::gui
