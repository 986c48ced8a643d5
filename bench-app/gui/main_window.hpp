// aidi-bench: the interactive face of the bench, thin over bench-app/core.
// A bench panel (virtual bench or a bench file: identities, limits), a live
// plot of the running campaign, the runs browser of a database with filter,
// sort, a run's timeline and side-by-side comparison, and exports (the same
// HTML/CSV/JSON report as `aidi report`, the plot as PNG or SVG). Long work
// runs on worker threads; errors show in a banner, never a modal dialog that
// would stop an unattended session.
#pragma once

#include <QMainWindow>
#include <QPointer>
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "aidi/core/api_client.hpp"
#include "aidi/core/bench_file.hpp"
#include "aidi/core/lab.hpp"
#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/run_profile.hpp"

class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;
class QTableWidget;
class QTabWidget;
class QTextBrowser;
class QAction;
class QComboBox;
class QListWidget;
class QSvgWidget;
class QTemporaryDir;

namespace aidi::gui {
class ProfilerPlot;
class ProfilerTab;
}

namespace aidi::gui {

class TimelinePlot;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // The operations behind the menus, callable from tests without dialogs.
  bool openDatabase(const QString& path);
  // A lab's campaign (docs/lab.md), read through a scratch copy of it as a
  // run database (core::exportFromLab); a read-only role will do.
  bool openLab(const QString& url, const QString& campaign);
  // A remote bench: `aidi serve` at HOST:PORT (docs/api.md). Its campaigns'
  // progress drives the live view, its runs fill the runs browser (over
  // the API), a campaign file runs on it, and a run opened is read from a
  // copy of its campaign the server exports. Opening a database detaches.
  bool attachServer(const QString& address, const QString& token = {});
  void detachServer();
  bool attached() const { return m_remote != nullptr; }
  bool useBench(const QString& benchFileOrVirtual);  // "virtual" or a bench file
  void connectBench();                               // identities of the bench's instruments
  void flashBench(const QString& model, const QString& policy);  // through the bench's flasher
  bool runCampaignFile(const QString& path);         // starts on a worker thread
  void stopCampaign();
  // A past run in its own tab (its profiler where waveforms were recorded,
  // else its voltage timeline); an open tab of the run is brought forward.
  bool showRunTimeline(qint64 runId);
  ProfilerTab* profilerTab(qint64 runId) const;
  ProfilerPlot* comparePlot() const { return m_comparePlot; }
  // The compared runs' energy per layer (the report's chart); empty SVG when none is split.
  QByteArray compareEnergySvg() const { return m_compareEnergySvg; }
  bool compareRuns(const QList<qint64>& runIds);
  // An advice of the open database (aidi advise; its id, 0: the newest) in
  // a tab of its own: the front plotted, the recommendation and its
  // validation, and every configuration, whose run opens on a double-click.
  bool showAdvice(qint64 adviceId = 0);
  QTableWidget* adviceTable() const { return m_adviceTable; }
  QWidget* adviceFront() const { return m_adviceFront; }  // a click on a point opens its run
  bool exportReport(const QString& path);  // .html, .csv or .json by extension
  bool exportPlot(const QString& path);    // the current tab's plot, .png or .svg (the same run)
  // Reloads the runs browser from the database on a worker thread (the GUI
  // stays responsive on a large database); runsRefreshed() when it is shown.
  void refreshRuns();
  bool refreshing() const { return m_refreshing > 0; }

  bool isRunning() const { return (m_worker.joinable() && !m_workerDone) || m_remoteRunning; }
  QString errorText() const;
  QString benchSummary() const;
  QStandardItemModel* runsModel() const { return m_runs; }
  QTableWidget* compareTable() const { return m_compare; }
  QListWidget* resultsList() const { return m_results; }
  QProgressBar* layerProgress() const { return m_layerProgress; }
  TimelinePlot* plot() const { return m_plot; }
  QString databasePath() const { return m_database; }

 signals:
  void campaignFinished(bool ok);
  void benchConnected(bool ok);
  void flashFinished(bool ok);
  void runsRefreshed();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildUi();
  void buildActions();
  void showError(const QString& message);
  void clearError();
  void onCampaignEvent(const core::CampaignEvent& e);
  void onCampaignEnded(const QString& failure, std::int64_t campaignId);
  QList<qint64> selectedRunIds() const;
  std::optional<std::int64_t> campaignForExport() const;
  void joinWorker();

  bool showDatabase(const QString& path, const QString& shownAs, bool remember);
  // The database a run is read from: the open one, or (attached) a fresh
  // copy of the run's campaign from the server; empty when that failed.
  QString databaseForRun(qint64 runId);
  bool runCampaignRemotely(const QString& path);
  void onServerMessage(const nlohmann::json& message);
  std::shared_ptr<core::ApiClient> m_remote;  // shared with the runs browser's loads
  std::unique_ptr<QTemporaryDir> m_remoteCopies;  // campaigns copied from a server, for the window's life
  bool m_remoteRunning = false;           // a campaign started here runs on the server
  std::int64_t m_remoteCampaign = -1;     // the campaign the live view shows
  QString m_database;
  std::optional<core::LabCopy> m_labCopy;  // the lab campaign shown, copied
  QString m_bench = "virtual";
  std::optional<core::BenchFile> m_benchFile;
  std::filesystem::path m_modelZoo;

  TimelinePlot* m_plot = nullptr;
  QTabWidget* m_tabs = nullptr;
  QLabel* m_error = nullptr;
  QLabel* m_benchInfo = nullptr;
  QLabel* m_progressText = nullptr;
  QLabel* m_decoderStatus = nullptr;
  QLabel* m_databaseStatus = nullptr;
  QProgressBar* m_progress = nullptr;
  QProgressBar* m_layerProgress = nullptr;
  QListWidget* m_results = nullptr;
  QLineEdit* m_filter = nullptr;
  QStandardItemModel* m_runs = nullptr;
  QSortFilterProxyModel* m_runsProxy = nullptr;
  QTableView* m_runsView = nullptr;
  QTableWidget* m_compare = nullptr;
  QComboBox* m_flashModel = nullptr;
  QComboBox* m_flashPolicy = nullptr;
  QAction* m_runAction = nullptr;
  QAction* m_stopAction = nullptr;

  std::thread m_worker;
  std::atomic<bool> m_workerDone{true};
  double m_liveOffset = 0;  // time of the current inference's start on the live axis
  double m_liveLastV = 0;
  std::int64_t m_liveRun = -1;
  int m_liveSample = -1;
  std::vector<double> m_liveCheckpoints;  // of the cycle under way: seconds since its power-on
  // The compare tab's overlay: sample 0 of each compared run with a waveform.
  ProfilerPlot* m_comparePlot = nullptr;
  std::vector<std::unique_ptr<core::RunProfile>> m_compareProfiles;
  QSvgWidget* m_compareEnergy = nullptr;
  QByteArray m_compareEnergySvg;
  QTableWidget* m_adviceTable = nullptr;  // of the advice tab shown last
  QWidget* m_adviceFront = nullptr;
  int m_refreshing = 0;           // loads of the runs browser under way
  std::uint64_t m_refreshGeneration = 0;  // only the newest load is shown
};

}  // namespace aidi::gui
