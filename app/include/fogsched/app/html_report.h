#pragma once
// A run's results as one self-contained HTML page: the comparison table (and the
// alert table when the scenario has blacklisted traffic) rounded as the CLI's table
// is, and a bar chart per shown metric as inline SVG. No external resource and no
// script, so the file can be mailed or archived alone.
#include <string>
#include <string_view>

#include "fogsched/core/results.h"

namespace fogsched::app {

// The page; `title` defaults to "fogsched: <scenario>". The same report gives the
// same bytes.
std::string html_report(const RunReport& report, std::string_view title = {});

// `text` with &, <, >, " and ' escaped, for element content and attribute values.
std::string html_escape(std::string_view text);

}  // namespace fogsched::app
