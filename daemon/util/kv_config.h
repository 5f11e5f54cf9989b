// A small `key = value` configuration file (a TOML subset): one setting per
// line, `#` comments, values as "strings", numbers or true/false.
#pragma once

#include "util/result.h"

#include <map>
#include <string>
#include <string_view>

namespace scx_custody {

using KvConfig = std::map<std::string, std::string>; // key -> value, quotes removed

// Parses `text`; `origin` names it in errors ("run.conf:3: ..."). Errors are
// usage errors (exit 2): a line without `=`, an empty key, an unterminated
// string, a key given twice.
Result<KvConfig> parse_kv_config(std::string_view text, const std::string& origin);
Result<KvConfig> load_kv_config(const std::string& path);

} // namespace scx_custody
