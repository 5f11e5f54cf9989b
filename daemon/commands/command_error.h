// How every subcommand ends on an error: its one-line cause (which names the
// fix) in the log, and its exit code.
#pragma once

#include "util/result.h"

#include <spdlog/spdlog.h>

namespace scx_custody::commands {

inline ExitCode fail(const Error& error) {
    spdlog::error("{}", error.message);
    return error.exit_code;
}

} // namespace scx_custody::commands
