// Names of the shared enums and the error types' messages.
#include <string>

#include "fogsched/core/decision.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/invocation.h"
#include "fogsched/core/scenario.h"

namespace fogsched {

const char* to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::completed: return "completed";
    case Outcome::rejected: return "rejected";
    case Outcome::deadline_missed: return "deadline_missed";
    case Outcome::failed: return "failed";
  }
  return "?";
}

const char* to_string(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::no_capacity: return "no_capacity";
    case RejectReason::policy: return "policy";
    case RejectReason::hop_limit: return "hop_limit";
    case RejectReason::no_peer: return "no_peer";
  }
  return "?";
}

const char* to_string(DecisionKind d) noexcept {
  switch (d) {
    case DecisionKind::run_local: return "run_local";
    case DecisionKind::forward: return "forward";
    case DecisionKind::reject: return "reject";
  }
  return "?";
}

const char* to_string(ServiceDist d) noexcept {
  switch (d) {
    case ServiceDist::exponential: return "exponential";
    case ServiceDist::deterministic: return "deterministic";
    case ServiceDist::uniform: return "uniform";
    case ServiceDist::lognormal: return "lognormal";
    case ServiceDist::empirical: return "empirical";
  }
  return "?";
}

const char* to_string(ArrivalProcess p) noexcept {
  switch (p) {
    case ArrivalProcess::poisson: return "poisson";
    case ArrivalProcess::mmpp: return "mmpp";
    case ArrivalProcess::trace: return "trace";
    case ArrivalProcess::traffic: return "traffic";
    case ArrivalProcess::azure2019: return "azure2019";
    case ArrivalProcess::azure2021: return "azure2021";
  }
  return "?";
}

std::string SourceLocation::to_string() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line);
}

namespace {
std::string compose(const SourceLocation& where, const std::string& key_path, const std::string& problem) {
  std::string message = where.to_string();
  if (!message.empty()) message += ": ";
  if (!key_path.empty()) message += key_path + ": ";
  return message + problem;
}
}  // namespace

ScenarioError::ScenarioError(const SourceLocation& where, const std::string& key_path, const std::string& problem)
    : std::runtime_error(compose(where, key_path, problem)), where_(where), key_path_(key_path), problem_(problem) {}

}  // namespace fogsched
