// The scheduling policies, in one table: a policy is a row here plus its
// decision code in the firmware. Everything that names a policy (the wire
// code in Run and the run configuration, Hello's name, CLI choices, campaign
// validation, reports, the NUCLEO image list) derives from this table.
// Freestanding C++17: the firmware and the host both use it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aidi::proto {

enum class Policy : std::uint8_t {
  Layer = 0,
  FixedTile = 1,
  Loop = 2,
  Aidi = 3,
  ResidentTile = 4,
  Hawaii = 5,
  Stateful = 6,
  DynBal = 7,
  Inas = 8,
  Sonic = 9,
};

// The firmware engine a policy runs on (docs/RESULTS.md compares policies
// per engine): the job engine moves every activation through NVM, job by
// job; the resident engine keeps activations in SRAM and checkpoints the
// live tensors when energy runs low.
enum class PolicyEngine : std::uint8_t { Job = 0, Resident = 1 };

// How the job engine knows, after a power failure, how far it got
// (docs/baselines.md): a progress record committed after every job; HAWAII's
// footprints, a counter per layer written after every preserved row;
// Stateful's states, a byte preserved with every row in the same write; or
// SONIC's loop index, written after every iteration (a pass over a group of
// input channels of one output row, its partial sums in NVM).
enum class JobProgress : std::uint8_t { Record = 0, Footprints = 1, States = 2, LoopIndex = 3 };

struct PolicyInfo {
  Policy policy;          // its wire code is the enum value
  const char* name;       // as campaigns, the CLI and reports spell it
  PolicyEngine engine;
  bool adapts;            // decides from energy measured at run time
  const char* mechanism;  // one line for help texts and reports
  JobProgress progress = JobProgress::Record;  // the job engine's (unused by the resident engine)
  const char* paper = nullptr;                 // the published runtime it reproduces, if any
};

inline constexpr PolicyInfo kPolicies[] = {
    {Policy::Layer, "layer", PolicyEngine::Job, false,
     "commits only at layer boundaries (cannot finish a layer longer than a power cycle)"},
    {Policy::FixedTile, "fixed-tile", PolicyEngine::Job, false,
     "a fixed tile of four output rows per job, chosen offline (static tiling)"},
    {Policy::Loop, "loop", PolicyEngine::Job, false,
     "progress committed at every output row (loop continuation)"},
    {Policy::Aidi, "aidi", PolicyEngine::Resident, true,
     "energy-aware bands with activations in SRAM, just-in-time checkpoints and powered sleep"},
    // The ablation of aidi: its engine without its energy decisions, tiled
    // like fixed-tile, so the study credits the engine and the decisions apart.
    {Policy::ResidentTile, "resident-tile", PolicyEngine::Resident, false,
     "activations in SRAM, a fixed band of four output rows persisted and committed at a time (aidi's engine "
     "without its energy decisions)"},
    // The published intermittent runtimes, on the job engine (docs/baselines.md).
    {Policy::Hawaii, "hawaii", PolicyEngine::Job, false,
     "every output row preserved with its layer's footprint written after it; recovery from the footprints",
     JobProgress::Footprints, "HAWAII (Kang et al., TCAD 2020)"},
    {Policy::Stateful, "stateful", PolicyEngine::Job, false,
     "every output row preserved with a state byte in the same write; recovery searches the states",
     JobProgress::States, "Stateful (Yen et al., TCAD 2022)"},
    {Policy::DynBal, "dynbal", PolicyEngine::Job, true,
     "Stateful with each layer's tile re-balanced at every boot from the work of the last power cycle",
     JobProgress::States, "DynBal (Yen et al., TECS 2023)"},
    {Policy::Inas, "inas", PolicyEngine::Job, false,
     "per-layer tiles chosen offline by a search against the capacitor's energy budget, preserved per tile",
     JobProgress::Record, "iNAS runtime (Mendis et al., TECS 2021)"},
    {Policy::Sonic, "sonic", PolicyEngine::Job, false,
     "loop continuation: the loop index written after every pass over 8 input channels of an output row, partial "
     "sums double-buffered in NVM (loop-ordered buffering), fully connected updates undo-logged",
     JobProgress::LoopIndex, "SONIC (Gobieski et al., ASPLOS 2019)"},
};
inline constexpr std::size_t kPolicyCount = sizeof(kPolicies) / sizeof(kPolicies[0]);

namespace internal {
constexpr bool sameName(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
}  // namespace internal

// The row of a name, or nullptr.
constexpr const PolicyInfo* findPolicy(const char* name) {
  for (const auto& p : kPolicies)
    if (internal::sameName(p.name, name)) return &p;
  return nullptr;
}
// The row of a wire code, or nullptr for an unknown code.
constexpr const PolicyInfo* findPolicy(std::uint32_t code) {
  for (const auto& p : kPolicies)
    if (static_cast<std::uint32_t>(p.policy) == code) return &p;
  return nullptr;
}
constexpr const char* policyName(Policy policy) {
  const PolicyInfo* p = findPolicy(static_cast<std::uint32_t>(policy));
  return p ? p->name : "invalid";
}

// Every row's code is its index: a wire code is its table position.
constexpr bool policyTableIsDense() {
  for (std::size_t i = 0; i < kPolicyCount; ++i)
    if (static_cast<std::size_t>(kPolicies[i].policy) != i) return false;
  return true;
}
static_assert(policyTableIsDense(), "policy codes must be 0..N-1 in table order");

}  // namespace aidi::proto
