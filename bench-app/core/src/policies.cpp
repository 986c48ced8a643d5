#include "aidi/core/policies.hpp"

namespace aidi::core {

std::vector<std::string> policyNames() {
  std::vector<std::string> names;
  for (const auto& p : proto::kPolicies) names.emplace_back(p.name);
  return names;
}

std::string policyList() {
  std::string list;
  for (const auto& p : proto::kPolicies) list += (list.empty() ? "" : ", ") + std::string(p.name);
  return list;
}

const PolicyInfo* findPolicy(const std::string& name) { return proto::findPolicy(name.c_str()); }

}  // namespace aidi::core
