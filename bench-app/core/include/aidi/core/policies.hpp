// The scheduling policies as the faces see them, from the one table in
// aidi/proto/policies.hpp: names for option choices, validation and help.
#pragma once

#include <string>
#include <vector>

#include "aidi/proto/policies.hpp"

namespace aidi::core {

using proto::PolicyInfo;

// Every policy's name, in table order.
std::vector<std::string> policyNames();
// "layer, fixed-tile, loop, aidi" for messages and help texts.
std::string policyList();
// The row of `name`, or nullptr.
const PolicyInfo* findPolicy(const std::string& name);

}  // namespace aidi::core
