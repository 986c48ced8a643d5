// aidi-bench: the interactive profiling GUI (bench-app/gui/main_window.hpp).
//   aidi-bench [--db FILE | FILE] [--help] [--version]
// The database shown, as `aidi` finds it: --db (or a lone FILE), else AIDI_DB,
// else the one opened last, else aidi's default database when it exists.
#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "aidi/core/install_layout.hpp"
#include "main_window.hpp"

namespace {

// The command line, read before any window exists: --help, --version and a
// bad option print and exit without a display (a terminal, a script, CI).
QString databaseFromCommandLine(int argc, char** argv) {
  // Usage lines name the program as users type it, not its build path.
  static char name[] = "aidi-bench";
  std::vector<char*> arguments(argv, argv + argc);
  arguments[0] = name;
  QCoreApplication parsing(argc, arguments.data());
  QCommandLineParser options;
  options.setApplicationDescription("AIDI Bench: interactive profiling of intermittent deep inference");
  options.addHelpOption();
  options.addVersionOption();
  const QCommandLineOption database({"d", "db"}, "Run database to open (or set AIDI_DB).", "FILE");
  options.addOption(database);
  options.addPositionalArgument("FILE", "Run database to open (the same as --db).", "[FILE]");
  options.process(parsing);  // --help and --version print and exit here; an unknown option is an error
  if (options.positionalArguments().size() > 1) {
    std::fprintf(stderr, "aidi-bench: one database at a time (got %lld)\n",
                 static_cast<long long>(options.positionalArguments().size()));
    std::exit(2);
  }
  QString path = options.value(database);
  if (path.isEmpty() && !options.positionalArguments().isEmpty()) path = options.positionalArguments().front();
  if (path.isEmpty() && std::getenv("AIDI_DB") && *std::getenv("AIDI_DB"))
    path = QString::fromStdString(aidi::core::defaultDatabasePath().string());
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  QCoreApplication::setOrganizationName("AIDI");
  QCoreApplication::setApplicationName("aidi-bench");
  QCoreApplication::setApplicationVersion(AIDI_VERSION);
  const QString path = databaseFromCommandLine(argc, argv);

  QApplication app(argc, argv);
  aidi::gui::MainWindow window;  // reopens the database opened last
  window.resize(1200, 760);
  window.show();
  if (!path.isEmpty()) {
    window.openDatabase(path);
  } else if (window.databasePath().isEmpty()) {
    std::error_code ec;
    if (const auto fallback = aidi::core::defaultDatabasePath(); std::filesystem::exists(fallback, ec))
      window.openDatabase(QString::fromStdString(fallback.string()));
  }
  return app.exec();
}
