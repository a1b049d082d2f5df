#pragma once
// Helpers for tests that write scenarios as YAML text or files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fogsched/core/errors.h"
#include "fogsched/core/scenario_yaml.h"

namespace fogsched::testing {

// Parses `yaml`, naming it `origin` in error messages.
inline Scenario parse(const std::string& yaml, const std::string& origin = "x.yaml") {
  return ScenarioDocument::from_string(yaml, origin).parse();
}

// what() of the ScenarioError that parsing `yaml` throws; "" when it parses.
inline std::string error_of(const std::string& yaml, const std::string& origin = "x.yaml") {
  try {
    parse(yaml, origin);
  } catch (const ScenarioError& error) {
    return error.what();
  }
  return "";
}

// what() of the ScenarioError that `load()` throws; "" when it returns.
template <typename Load>
std::string error_from(Load&& load) {
  try {
    load();
  } catch (const ScenarioError& error) {
    return error.what();
  }
  return "";
}

// A fresh directory per test for scenario, trace and CSV files.
class ScenarioFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("fogsched_") + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to `name` under the test's directory (creating folders); its path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

}  // namespace fogsched::testing
