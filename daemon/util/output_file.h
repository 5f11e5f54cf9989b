// Where a command's report goes: a file when one is named, stdout otherwise.
#pragma once

#include "util/result.h"

#include <functional>
#include <ostream>
#include <string>

namespace scx_custody {

// Runs `write` on the chosen stream and checks that everything was written.
// Errors name the file; an unopenable file is a usage error (exit 2).
Status write_output(const std::string& path, const std::function<void(std::ostream&)>& write);

} // namespace scx_custody
