#pragma once
// An estimate as JSON, {"mean": x, "ci95": y} with NaN as null: the form of the
// results documents and of their comparisons. Internal to core.
#include <cmath>

#include <nlohmann/json.hpp>

#include "fogsched/core/stats.h"

namespace fogsched::detail {

// Keys keep the schema's order, so a document reads as docs/results.md shows it.
using OrderedJson = nlohmann::ordered_json;

inline OrderedJson number_or_null(double x) { return std::isfinite(x) ? OrderedJson(x) : OrderedJson(nullptr); }

inline OrderedJson estimate_json(const Estimate& e) {
  OrderedJson j = OrderedJson::object();
  j["mean"] = number_or_null(e.mean);
  j["ci95"] = number_or_null(e.ci95);
  return j;
}

}  // namespace fogsched::detail
