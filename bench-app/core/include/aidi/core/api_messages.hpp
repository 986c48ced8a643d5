// The bodies of aidi serve's messages (docs/api.md, docs/api-schema/): one
// encoding, used by the server to send them and by C++ clients (the GUI
// attached to a remote bench) to read them back into the core's own types,
// so a remote campaign drives the same live view as a local one.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/run_browser.hpp"
#include "aidi/core/waveforms.hpp"

namespace aidi::core {

// A campaign's event as a `progress` message, and back (nullopt: not a
// progress message, or a field missing or of the wrong type).
nlohmann::json progressMessage(const CampaignEvent& event);
std::optional<CampaignEvent> campaignEventOf(const nlohmann::json& message);

// A run's summary as the `runs` op lists it, and back.
nlohmann::json runMessage(const RunSummary& run);
std::optional<RunSummary> runSummaryOf(const nlohmann::json& message);

// A stretch of recorded waveform as `waveform` messages of at most
// `maxPoints` points each (sample ids `first`.., times t0 + i / rate_hz).
inline constexpr std::size_t kWaveformMessagePoints = 4096;
std::vector<nlohmann::json> waveformMessages(const WaveformChunk& chunk, std::int64_t campaignId,
                                             std::size_t maxPoints = kWaveformMessagePoints);

}  // namespace aidi::core
