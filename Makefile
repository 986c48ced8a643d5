# AIDI Bench: the two commands.
#   make demo   install what is missing, build host + firmware, run the demo on the virtual bench
#   make test   install what is missing, build, run every test with ctest
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DAIDI_WERROR=ON

.PHONY: figures all deps build install demo test bench models study clean screenshots

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Installs aidi and aidi-bench with their data, manual pages and shell
# completions (PREFIX=/usr/local for everyone; the default keeps it in the tree).
PREFIX ?= $(CURDIR)/$(BUILD)/prefix
install: build
	cmake --install $(BUILD) --prefix $(PREFIX) --strip

# The demo: boot the virtual board, list the model zoo, run the demo campaign
# into a fresh database and write its HTML report, with the installed aidi.
DEMO_DIR ?= $(BUILD)/demo
demo: install
	$(PREFIX)/bin/aidi demo
	$(PREFIX)/bin/aidi models
	rm -f $(DEMO_DIR)/aidi-demo.sqlite $(DEMO_DIR)/aidi-demo.sqlite-wal $(DEMO_DIR)/aidi-demo.sqlite-shm
	$(PREFIX)/bin/aidi run fixtures/campaigns/demo.toml --db $(DEMO_DIR)/aidi-demo.sqlite --report $(DEMO_DIR)/aidi-demo-report.html
	@echo
	@echo "aidi and aidi-bench are installed in $(PREFIX)/bin. To run them as the README writes them:"
	@echo '  export PATH="$(PREFIX)/bin:$$PATH" AIDI_DB="$(abspath $(DEMO_DIR))/aidi-demo.sqlite"'

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 300

# Trains and exports the model zoo into fixtures/models (CPU, about an hour).
MODELS ?= inas-tiny mcunet-s mcunet-m
models:
	@scripts/install-deps.sh --models
	for m in $(MODELS); do /usr/bin/python3 tools/models/train.py $$m --out $(BUILD)/models && \
	  /usr/bin/python3 tools/models/export.py $$m --weights $(BUILD)/models/$$m.pt || exit 1; done

# The evaluation study: runs fixtures/campaigns/study*.toml on the virtual
# bench and writes docs/RESULTS.md (tables and plots) from the database.
STUDY_DIR ?= $(BUILD)/study
AIDI = $(BUILD)/bench-app/cli/aidi
study: build
	rm -rf $(STUDY_DIR) && mkdir -p $(STUDY_DIR)
	$(AIDI) run fixtures/campaigns/study.toml --db $(STUDY_DIR)/study.sqlite --report $(STUDY_DIR)/study-report.html
	$(AIDI) run fixtures/campaigns/study-oracle.toml --db $(STUDY_DIR)/study.sqlite --report $(STUDY_DIR)/oracle-report.html
	$(AIDI) run fixtures/campaigns/study-continuous.toml --db $(STUDY_DIR)/study.sqlite --report $(STUDY_DIR)/continuous-report.html
	$(AIDI) run fixtures/campaigns/study-accuracy.toml --db $(STUDY_DIR)/study.sqlite --report $(STUDY_DIR)/accuracy-report.html
	$(AIDI) report study --db $(STUDY_DIR)/study.sqlite --format json --out $(STUDY_DIR)/study.json --plots $(STUDY_DIR)/plots
	$(AIDI) report study-oracle --db $(STUDY_DIR)/study.sqlite --format json --out $(STUDY_DIR)/oracle.json
	$(AIDI) report study-accuracy --db $(STUDY_DIR)/study.sqlite --format json --out $(STUDY_DIR)/accuracy.json
	$(BUILD)/tests/bench/kernel_bench > $(STUDY_DIR)/kernels.txt
	/usr/bin/python3 tools/check_energy_bound.py $(STUDY_DIR)/study.sqlite study
	/usr/bin/python3 tools/study_results.py --db $(STUDY_DIR)/study.sqlite --report-json $(STUDY_DIR)/study.json \
	  --accuracy-json $(STUDY_DIR)/accuracy.json --oracle-json $(STUDY_DIR)/oracle.json --kernels $(STUDY_DIR)/kernels.txt --plots $(STUDY_DIR)/plots \
	  --out docs/RESULTS.md

# The README's figures, from the benchmarks, the demo and the study (run
# `make study` first for docs/RESULTS.md): nothing in it is typed by hand.
FIGURES_DIR ?= $(BUILD)/figures
figures: build
	rm -rf $(FIGURES_DIR) && mkdir -p $(FIGURES_DIR)
	$(BUILD)/bench-app/cli/aidi run fixtures/campaigns/demo.toml --db $(FIGURES_DIR)/demo.sqlite 2>/dev/null \
	  | sed -e 's|$(CURDIR)/||' > $(FIGURES_DIR)/demo.txt
	$(BUILD)/bench-app/cli/aidi demo | sed -e 's|$(CURDIR)/||' > $(FIGURES_DIR)/demo-boot.txt
	$(BUILD)/bench-app/cli/aidi models > $(FIGURES_DIR)/models.txt
	$(BUILD)/tests/bench/protocol_decode_bench > $(FIGURES_DIR)/protocol.txt
	$(BUILD)/tests/bench/database_bench $(FIGURES_DIR)/bench-data > $(FIGURES_DIR)/database.txt
	$(BUILD)/tests/bench/kernel_bench > $(FIGURES_DIR)/kernels-full.txt
	grep -E '^(geometric|worst|whole|model|  (inas|mcunet)|static)' $(FIGURES_DIR)/kernels-full.txt > $(FIGURES_DIR)/kernels.txt || cp $(FIGURES_DIR)/kernels-full.txt $(FIGURES_DIR)/kernels.txt
	$(BUILD)/tests/bench/virtual_power_bench > $(FIGURES_DIR)/virtual-power.txt
	$(BUILD)/bench-app/cli/aidi crashtest --model inas-tiny --policy all > $(FIGURES_DIR)/crashtest.txt
	$(BUILD)/tests/bench/waveform_bench $(FIGURES_DIR)/bench-data > $(FIGURES_DIR)/waveform.txt
	$(BUILD)/tests/bench/plot_bench $(FIGURES_DIR)/bench-data/waveform.db 2>/dev/null \
	  | sed -e 's|$(FIGURES_DIR)/||' > $(FIGURES_DIR)/plot.txt
	rm -f $(FIGURES_DIR)/bench-data/waveform.db*
	/usr/bin/python3 tools/readme_figures.py --figures $(FIGURES_DIR) --results docs/RESULTS.md --readme README.md

# The README's GUI screenshots, rendered offscreen by the GUI tests that check
# the profiler's cursors (a multi-cycle run, cursors around one power cycle)
# and the advisor's front.
screenshots: build
	QT_QPA_PLATFORM=offscreen $(BUILD)/tests/gui_test profilerCursorsMarkersSamplesAndExports
	cp $(BUILD)/aidi-bench-profiler.png docs/images/aidi-bench.png
	QT_QPA_PLATFORM=offscreen $(BUILD)/tests/gui_test adviceShowsItsFrontAndOpensTheRunBehindAPoint
	cp $(BUILD)/aidi-bench-advice.png docs/images/aidi-bench-advice.png

# Benchmarks print their figures; see each issue's targets.
bench: build
	$(BUILD)/tests/bench/protocol_decode_bench
	$(BUILD)/tests/bench/ppk2_decode_bench
	$(BUILD)/tests/bench/database_bench $(BUILD)/bench-data
	$(BUILD)/tests/bench/waveform_bench $(BUILD)/bench-data
	$(BUILD)/tests/bench/kernel_bench
	$(BUILD)/tests/bench/virtual_power_bench
	$(BUILD)/tests/bench/latency_bench
	$(BUILD)/tests/bench/lab_bench
	$(BUILD)/tests/bench/api_bench
	$(BUILD)/tests/bench/advise_bench
	$(BUILD)/tests/bench/plot_bench $(BUILD)/bench-data/waveform.db 2>/dev/null
	@echo "Continuous operation: 24 h of office-day, mcunet-s / aidi at 100 uF, back to back" \
	  "(targets: <= 120 s of wall time, >= 10 inferences per wall second)"
	$(AIDI) sim --model mcunet-s --policy aidi --cap 100 --trace fixtures/traces/office-day.csv --duration-s 86400

clean:
	rm -rf $(BUILD)
