// A model of the zoo, parsed, for the firmware runtime's tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model_fixtures.hpp"
#include "model_view.hpp"

namespace aidi::test {

struct ZooModel {
  std::vector<std::uint8_t> bytes;  // the view points into them
  fw::ModelView view;
};

inline ZooModel loadZooModel(const std::string& name) {
  ZooModel m;
  m.bytes = readBytes(fixturesDir() / "models" / name / "model.aidi");
  EXPECT_EQ(m.view.parse(m.bytes.data(), static_cast<std::uint32_t>(m.bytes.size())), fw::ModelStatus::Ok) << name;
  return m;
}

}  // namespace aidi::test
